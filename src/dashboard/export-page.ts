import type { NetworkRegistry } from '../networks/registry.js'
import { DATE_FORMATS } from '../operations/reconcile/report-date.js'
import { type Html, html } from './html.js'
import { csrfField, type PageContext, page } from './layout.js'

// The dashboard's CSV buttons: a small form beside a list (its filters ride along as hidden
// fields) that asks for the range and time zone, and the reconcile page.

/** A GET form that downloads `action` (a .csv route) for a range of local dates in a zone. */
export function exportForm(
  action: string,
  keep: Record<string, string | undefined>,
  zone: string,
): Html {
  return html`<details class="confirm export"><summary>Export CSV…</summary><div class="ask">
<form method="get" action="${action}" class="filters">
${Object.entries(keep).map(([name, value]) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : ''))}
<label>From <input type="date" name="from"></label>
<label>To (included) <input type="date" name="to"></label>
<label>Time zone <input name="tz" value="${zone}" placeholder="UTC or Europe/Berlin"></label>
<button type="submit">Download CSV</button>
</form>
<p class="small muted">Without dates: the last 24 hours. Dates are days in the time zone; times in the file are UTC (ISO 8601) and local to it. Cells a spreadsheet would run as a formula start with an apostrophe.</p>
</div></details>`
}

export function reconcilePage(context: PageContext, networks: NetworkRegistry, zone: string): Html {
  return page(
    'Reconcile with a network report',
    'conversions',
    context,
    html`<p>Compare a network's conversion report (CSV with a header row, exported from its dashboard) with the conversions recorded here, and download the differences: missing here or there, payout or status mismatches, duplicates and unreadable rows (as <code>npm run cli -- reconcile</code> does). The report is streamed to the server, never kept.</p>
<noscript><div class="notice warn">This page needs JavaScript to send the file; or use the admin API (POST /admin/networks/:network/reconcile.csv) or the command line.</div></noscript>
<form class="card filters" method="post" action="/dashboard/reconcile.csv" data-upload>${csrfField(context.csrf)}
<label>Network <select name="network">${networks.names().map((n) => html`<option value="${n}">${n}</option>`)}</select></label>
<label>Report <input type="file" name="report" accept=".csv,text/csv" required></label>
<label>Tx id column <input name="txCol" placeholder="tx_id"></label>
<label>Payout column <input name="payoutCol" placeholder="payout"></label>
<label>Status column <input name="statusCol" placeholder="status"></label>
<label>Date column <input name="dateCol" placeholder="date"></label>
<label>Date format <select name="dateFormat">${DATE_FORMATS.map((f) => html`<option value="${f}">${f}</option>`)}</select></label>
<label>Delimiter <select name="delimiter"><option value=",">,</option><option value=";">;</option><option value="|">|</option><option value="tab">tab</option></select></label>
<label>Time zone <input name="tz" value="${zone}"></label>
<label>From <input type="date" name="from"></label>
<label>To (included) <input type="date" name="to"></label>
<button type="submit">Download differences (CSV)</button>
</form>
<p id="upload-status" class="small muted" role="status"></p>`,
  )
}
