// The dashboard's only static files, kept as strings so `tsc` is the whole build. The script
// is progressive enhancement: every page works without it (forms post, links navigate).

export const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--text:#1d2330;--muted:#5c6575;--line:#dde1e8;--accent:#2456d3;
--ok:#1a7f4b;--ok-bg:#e3f5ea;--bad:#b42318;--bad-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;
--info-bg:#e8eefc;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:15px}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.45}
a{color:var(--accent)}
header.top{background:#172033;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.5rem 1rem}
header.top .brand{font-weight:600;white-space:nowrap}
header.top nav{display:flex;gap:.25rem;overflow-x:auto;flex:1 1 auto;min-width:0;scrollbar-width:thin}
header.top nav a{color:#cfd8ea;text-decoration:none;padding:.35rem .6rem;border-radius:6px;white-space:nowrap}
header.top nav a[aria-current=page]{background:#2d3a57;color:#fff}
header.top form{margin:0}
header.top button{background:transparent;color:#cfd8ea;border:1px solid #44506a}
main{max-width:1240px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
.card>h2:first-child{margin-top:0}
.outcome,.when,.timeline li>span:first-child{white-space:nowrap;font-variant-numeric:tabular-nums}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.75rem;margin-bottom:1rem}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem}
.tile .n{font-size:1.5rem;font-weight:600}
.tile .l{color:var(--muted);font-size:.85rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.8rem;color:var(--muted);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
.small{font-size:.85rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f0f2f6;border:1px solid var(--line);border-radius:6px;padding:.5rem;white-space:pre-wrap;word-break:break-all;margin:.25rem 0}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;font-size:.8rem;font-weight:600;background:var(--info-bg);white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}
.notice{border-radius:8px;padding:.6rem .9rem;margin-bottom:1rem;border:1px solid var(--line);background:var(--info-bg)}
.notice.bad{background:var(--bad-bg);border-color:#f3c2bd}
.notice.warn{background:var(--warn-bg);border-color:#f0dc9c}
.notice.ok{background:var(--ok-bg);border-color:#b9e3c8}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.15rem;flex:1 1 140px;max-width:22rem}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid #b9c0cc;border-radius:6px;background:#fff;color:var(--text);min-width:0}
button{cursor:pointer;background:var(--accent);color:#fff;border-color:var(--accent)}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
.entries{display:flex;flex-direction:column;gap:.4rem}
details.entry{background:var(--card);border:1px solid var(--line);border-radius:8px}
details.entry>summary{list-style:none;cursor:pointer;display:grid;grid-template-columns:11.5rem 7rem 13rem 1fr;gap:.25rem .75rem;padding:.5rem .75rem;align-items:baseline}
details.entry>summary::-webkit-details-marker{display:none}
details.entry[open]>summary{border-bottom:1px solid var(--line)}
details.entry .body{padding:.75rem}
details.entry.fresh{animation:fresh 2s ease-out}
@keyframes fresh{from{background:#fff7c2}to{background:var(--card)}}
.explain{border-left:3px solid var(--accent);padding:.25rem .75rem;margin:.5rem 0;background:#f7f9ff}
.explain.bad{border-color:var(--bad);background:#fff8f7}
.explain.warnings{border-color:var(--warn)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
details.confirm{display:inline-block;margin:.25rem .5rem .25rem 0}
details.confirm>summary{list-style:none;cursor:pointer;display:inline-block;padding:.35rem .7rem;border-radius:6px;border:1px solid var(--accent);color:var(--accent);background:#fff}
details.confirm>summary::-webkit-details-marker{display:none}
details.confirm[open]>summary{background:var(--info-bg)}
details.confirm .ask{margin-top:.5rem;padding:.6rem;border:1px solid var(--line);border-radius:6px;background:#fff;max-width:32rem}
.copyrow{display:flex;gap:.5rem}
.copyrow textarea{flex:1;field-sizing:content;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;padding:.35rem .5rem;border:1px solid #b9c0cc;border-radius:6px;resize:vertical;word-break:break-all}
.copyrow{margin-bottom:.5rem}
.chart .narrow{display:none}
.timeline{list-style:none;padding:0;margin:0}
.timeline li{display:grid;grid-template-columns:11.5rem 6.5rem 1fr;gap:.75rem;padding:.45rem 0;border-bottom:1px solid var(--line)}
.chart svg{width:100%;height:auto;display:block}
.legend{display:flex;gap:1rem;font-size:.85rem;color:var(--muted)}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.sw-ok{background:#2f9e63}.sw-bad{background:#d9534f}
.live{font-size:.8rem;color:var(--muted)}
.pager{margin-top:.75rem}
.signin{max-width:24rem;margin:10vh auto}
.signin label{display:flex;flex-direction:column;gap:.25rem;margin-bottom:.75rem}
@media (max-width:720px){
 main{padding:.6rem}
 header.top{padding:.4rem .6rem}
 header.top nav{order:3;flex-basis:100%}
 header.top form{margin-left:auto}
 .chart .wide{display:none}
 .chart .narrow{display:block}
 form.filters label{max-width:none}
 .grid2{grid-template-columns:1fr}
 details.entry>summary{grid-template-columns:1fr auto;font-size:.9rem}
 details.entry>summary .when{grid-column:1/-1;font-size:.8rem;color:var(--muted)}
 details.entry>summary .what{grid-column:1/-1}
 .timeline li{grid-template-columns:1fr;gap:.1rem}
 table.cards thead{display:none}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards tr{border:1px solid var(--line);border-radius:8px;margin-bottom:.5rem;background:var(--card)}
 table.cards td{border:0;padding:.2rem .6rem;text-align:left}
 table.cards td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.8rem}
}
`

export const SCRIPT = `
(function () {
  'use strict'
  // Live postback log: every few seconds, fetch the rows after the newest shown, a page at a
  // time (X-More: another page waits) until caught up, so none is skipped. A burst larger
  // than MAX_PAGES pages is caught up over the next polls, and the status line says so with a
  // link to the newest.
  var MAX_PAGES = 10
  var list = document.querySelector('[data-live-src]')
  if (list) {
    var status = document.getElementById('live-status')
    var busy = false
    var fetchPage = function (pages) {
      var src = list.getAttribute('data-live-src') + '&after=' + encodeURIComponent(list.getAttribute('data-after') || '0')
      return fetch(src, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (response) {
          if (response.status === 401) throw new Error('signed out: reload the page to sign in again')
          if (!response.ok) throw new Error('live updates paused (HTTP ' + response.status + ')')
          var last = response.headers.get('x-last-id')
          var more = response.headers.get('x-more') === '1'
          return response.text().then(function (text) {
            if (text.trim()) {
              var empty = document.getElementById('no-entries')
              if (empty) empty.remove()
              list.insertAdjacentHTML('afterbegin', text)
            }
            if (last) list.setAttribute('data-after', last)
            if (more && pages + 1 < MAX_PAGES) return fetchPage(pages + 1)
            if (!status) return
            if (!more) {
              status.textContent = 'live · updated ' + new Date().toLocaleTimeString()
              return
            }
            status.textContent = 'catching up: more postbacks arrived than shown so far · '
            var newest = document.createElement('a')
            newest.setAttribute('href', location.pathname + location.search)
            newest.textContent = 'show the newest'
            status.appendChild(newest)
          })
        })
    }
    setInterval(function () {
      if (busy || document.hidden) return
      busy = true
      fetchPage(0)
        .catch(function (error) { if (status) status.textContent = error.message })
        .then(function () { busy = false })
    }, 3000)
  }
  // Copy buttons: data-copy names the input whose value to copy.
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-copy]') : null
    if (!button) return
    var input = document.getElementById(button.getAttribute('data-copy'))
    if (!input) return
    var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy' }, 1500) }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); document.execCommand('copy'); done() })
    } else { input.select(); document.execCommand('copy'); done() }
  })
})()
`
