import { type Html, html } from './html.js'

const H = 220
const LEFT = 40
const BOTTOM = 24
const TOP = 10

/**
 * Stacked bars (accepted below, refused above) per time bucket, as inline SVG: a wide drawing
 * for desktops and a narrow one for phones (CSS shows one), so labels stay legible on both.
 */
export function postbackChart(
  series: { ok: number; refused: number }[],
  from: Date,
  bucketSeconds: number,
): Html {
  return html`${drawChart(series, from, bucketSeconds, 1000, 8, 'wide')}${drawChart(series, from, bucketSeconds, 380, 4, 'narrow')}`
}

function drawChart(
  series: { ok: number; refused: number }[],
  from: Date,
  bucketSeconds: number,
  W: number,
  labels: number,
  variant: string,
): Html {
  const max = niceMax(Math.max(1, ...series.map((s) => s.ok + s.refused)))
  const plotW = W - LEFT - 8
  const plotH = H - TOP - BOTTOM
  const step = plotW / Math.max(series.length, 1)
  const barW = Math.max(1, step * 0.75)
  const y = (value: number) => (value / max) * plotH
  const label = (index: number) => {
    const at = new Date(from.getTime() + index * bucketSeconds * 1000).toISOString()
    return bucketSeconds >= 86_400
      ? at.slice(5, 10)
      : bucketSeconds >= 3600 * 6
        ? `${at.slice(5, 10)} ${at.slice(11, 13)}h`
        : at.slice(11, 16)
  }
  const every = Math.max(1, Math.ceil(series.length / labels))
  const bars = series.map((s, i) => {
    const x = (LEFT + i * step + (step - barW) / 2).toFixed(1)
    const okH = y(s.ok)
    const badH = y(s.refused)
    const base = TOP + plotH
    return html`<g><title>${label(i)} UTC: ${s.ok} accepted, ${s.refused} refused</title>${
      s.ok > 0
        ? html`<rect x="${x}" y="${(base - okH).toFixed(1)}" width="${barW.toFixed(1)}" height="${okH.toFixed(1)}" fill="#2f9e63"/>`
        : ''
    }${
      s.refused > 0
        ? html`<rect x="${x}" y="${(base - okH - badH).toFixed(1)}" width="${barW.toFixed(1)}" height="${badH.toFixed(1)}" fill="#d9534f"/>`
        : ''
    }</g>`
  })
  const ticks = series
    .map((_, i) => i)
    .filter((i) => i % every === 0)
    .map(
      (i) =>
        html`<text x="${(LEFT + i * step).toFixed(1)}" y="${H - 6}" font-size="11" fill="#5c6575">${label(i)}</text>`,
    )
  return html`<svg class="${variant}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Postbacks over time: accepted and refused per interval">
<line x1="${LEFT}" y1="${TOP + plotH}" x2="${W - 8}" y2="${TOP + plotH}" stroke="#b9c0cc"/>
<line x1="${LEFT}" y1="${TOP}" x2="${W - 8}" y2="${TOP}" stroke="#eef0f4"/>
<line x1="${LEFT}" y1="${TOP + plotH / 2}" x2="${W - 8}" y2="${TOP + plotH / 2}" stroke="#eef0f4"/>
<text x="${LEFT - 6}" y="${TOP + 4}" font-size="11" fill="#5c6575" text-anchor="end">${max}</text>
<text x="${LEFT - 6}" y="${TOP + plotH / 2 + 4}" font-size="11" fill="#5c6575" text-anchor="end">${max / 2}</text>
<text x="${LEFT - 6}" y="${TOP + plotH + 4}" font-size="11" fill="#5c6575" text-anchor="end">0</text>
${bars}${ticks}</svg>`
}

function niceMax(value: number): number {
  const scale = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) if (m * scale >= value) return m * scale === 1 ? 2 : m * scale
  return value
}
