import { localTime, utcOffset } from '../lib/time-zone.js'
import type { UserListQuery, UserSummary } from '../reports/users.js'
import { type Html, html, queryString } from './html.js'
import { type PageContext, page } from './layout.js'

// The Users page without a user chosen: users with a balance, searched by part of the id and
// sorted by balance or last activity (GET /admin/users as a page). A user opens their ledger.

export const USER_SORTS = ['balance', 'activity', 'user'] as const
const SORT_LABELS = { balance: 'balance', activity: 'last activity', user: 'user id' } as const

export function usersListPage(
  context: PageContext,
  query: Omit<UserListQuery, 'limit'>,
  items: UserSummary[],
  more: boolean,
  timeZone: string,
  pageSize: number,
): Html {
  const zone = `${timeZone}, ${utcOffset(timeZone, new Date())}`
  const base = { search: query.search, sort: query.sort, order: query.order }
  const link = (values: Record<string, string | undefined>) =>
    `/dashboard/users${queryString({ ...base, ...values })}`
  const header = (sort: UserListQuery['sort'], label: string, numeric: boolean) => {
    const active = sort === query.sort
    const next = active
      ? query.order === 'asc'
        ? 'desc'
        : 'asc'
      : sort === 'user'
        ? 'asc'
        : 'desc'
    return html`<th class="${numeric ? 'num' : ''}"${active ? html` aria-sort="${query.order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${link({ sort, order: next, offset: undefined })}">${label}${active ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`
  }
  return page(
    'Users',
    'users',
    context,
    html`<form class="filters" method="get" action="/dashboard/users">
<label>Search <input name="search" value="${query.search ?? ''}" placeholder="part of a user id"></label>
<label>Sort by <select name="sort">${USER_SORTS.map((s) => html`<option value="${s}"${s === query.sort ? html` selected` : ''}>${SORT_LABELS[s]}</option>`)}</select></label>
<label>Order <select name="order"><option value="desc"${query.order === 'desc' ? html` selected` : ''}>highest / newest first</option><option value="asc"${query.order === 'asc' ? html` selected` : ''}>lowest / oldest first</option></select></label>
<button type="submit">Show</button></form>
<form class="filters" method="get" action="/dashboard/users"><label>Open a user by exact id <input name="user" required></label><button type="submit">Open</button></form>
${
  items.length === 0
    ? html`<p class="card muted">${query.search ? `No user id contains “${query.search}”.` : 'No user has a balance yet.'}</p>`
    : html`<div class="scroll"><table class="cards" id="users"><thead><tr>${header('user', 'User', false)}${header('balance', 'Balance (points)', true)}${header('activity', `Last activity (${zone})`, true)}</tr></thead><tbody>
${items.map((u) => html`<tr><td data-label="User"><a href="/dashboard/users?user=${encodeURIComponent(u.userId)}">${u.userId}</a></td><td class="num" data-label="Balance">${u.balance}</td><td class="num" data-label="Last activity (${zone})">${localTime(timeZone, u.lastActivityAt)}</td></tr>`)}
</tbody></table></div>`
}
<p class="pager">${query.offset > 0 ? html`<a href="${link({ offset: String(Math.max(0, query.offset - pageSize)) })}">← Previous</a> ` : ''}${more ? html`<a href="${link({ offset: String(query.offset + pageSize) })}">Next →</a>` : ''}</p>`,
  )
}
