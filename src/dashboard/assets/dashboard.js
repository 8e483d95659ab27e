// The dashboard's script, loaded as an ES module (strict and deferred). It is progressive
// enhancement: every page works without it (forms post, links navigate).

// Live postback log: every few seconds, fetch the rows after the newest shown, a page at a
// time (X-More: another page waits) until caught up, so none is skipped. A burst larger than
// MAX_PAGES pages is caught up over the next polls, and the status line says so with a link to
// the newest.
const MAX_PAGES = 10
const POLL_MS = 3000

const list = document.querySelector('[data-live-src]')
if (list) {
  const status = document.getElementById('live-status')
  let busy = false

  const fetchPage = async (pages) => {
    const after = encodeURIComponent(list.getAttribute('data-after') || '0')
    const response = await fetch(`${list.getAttribute('data-live-src')}&after=${after}`, {
      credentials: 'same-origin',
      headers: { accept: 'text/html' },
    })
    if (response.status === 401) throw new Error('signed out: reload the page to sign in again')
    if (!response.ok) throw new Error(`live updates paused (HTTP ${response.status})`)
    const last = response.headers.get('x-last-id')
    const more = response.headers.get('x-more') === '1'
    const text = await response.text()
    if (text.trim()) {
      document.getElementById('no-entries')?.remove()
      list.insertAdjacentHTML('afterbegin', text)
    }
    if (last) list.setAttribute('data-after', last)
    if (more && pages + 1 < MAX_PAGES) return fetchPage(pages + 1)
    if (!status) return
    if (!more) {
      status.textContent = `live · updated ${new Date().toLocaleTimeString()}`
      return
    }
    status.textContent = 'catching up: more postbacks arrived than shown so far · '
    const newest = document.createElement('a')
    newest.setAttribute('href', location.pathname + location.search)
    newest.textContent = 'show the newest'
    status.appendChild(newest)
  }

  // Never rejects: a failure is shown on the status line, and the next poll tries again.
  const poll = async () => {
    busy = true
    try {
      await fetchPage(0)
    } catch (error) {
      if (status) status.textContent = error.message
    } finally {
      busy = false
    }
  }

  setInterval(() => {
    if (busy || document.hidden) return
    void poll()
  }, POLL_MS)
}

// A bulk run's page: its progress card (data-poll-src) is fetched again every second and
// swapped in, until the card that comes back is no longer running (it has no data-poll-src).
// Without the script the page still shows the state it was loaded with; reload to see more.
const RUN_POLL_MS = 1000
const followRun = () => {
  const card = document.querySelector('[data-poll-src]')
  if (!card) return
  setTimeout(async () => {
    try {
      const response = await fetch(card.getAttribute('data-poll-src'), {
        credentials: 'same-origin',
        headers: { accept: 'text/html' },
      })
      if (response.redirected) throw new Error('signed out: reload the page to sign in again')
      if (!response.ok) throw new Error(`progress paused (HTTP ${response.status})`)
      card.outerHTML = await response.text()
    } catch (error) {
      const note = card.querySelector('.muted')
      if (note) note.textContent = error.message
    }
    followRun()
  }, RUN_POLL_MS)
}
followRun()

// File uploads that answer with a download (reconcile): the file goes as the request body
// (text/csv, streamed by the server), the other fields as the query string, the CSRF token in
// a header; the CSV that comes back is saved under the name the server gives.
document.addEventListener('submit', async (event) => {
  const form = event.target.closest?.('form[data-upload]')
  if (!form) return
  event.preventDefault()
  const status = document.getElementById('upload-status')
  const say = (text) => {
    if (status) status.textContent = text
  }
  const fields = new FormData(form)
  const file = fields.get('report')
  const csrf = String(fields.get('_csrf') ?? '')
  const query = new URLSearchParams()
  for (const [name, value] of fields) {
    if (name !== 'report' && name !== '_csrf' && typeof value === 'string' && value) {
      query.set(name, value)
    }
  }
  say('Comparing…')
  try {
    const response = await fetch(`${form.getAttribute('action')}?${query}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv', 'x-csrf-token': csrf },
      body: file,
    })
    if (!response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), 'text/html')
      say(page.querySelector('.notice')?.textContent ?? `HTTP ${response.status}`)
      return
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')
    const link = document.createElement('a')
    link.href = URL.createObjectURL(await response.blob())
    link.download = name?.[1] ?? 'differences.csv'
    document.body.appendChild(link)
    link.click()
    link.remove()
    say(`Downloaded ${link.download}.`)
  } catch (error) {
    say(`Not sent: ${error.message}`)
  }
})

// Copy buttons: data-copy names the input whose value to copy.
document.addEventListener('click', (event) => {
  const button = event.target.closest?.('[data-copy]')
  if (!button) return
  const input = document.getElementById(button.getAttribute('data-copy'))
  if (!input) return
  const done = () => {
    button.textContent = 'Copied'
    setTimeout(() => {
      button.textContent = 'Copy'
    }, 1500)
  }
  const copyBySelection = () => {
    input.select()
    document.execCommand('copy')
    done()
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, copyBySelection)
  } else {
    copyBySelection()
  }
})
