import { readFileSync } from 'node:fs'

// The dashboard's only static files, kept as real files in ./assets/ so Biome lints and formats
// them; `npm run build` copies them beside the compiled code (dist/dashboard/assets/). Read once
// at startup: a missing file stops the service before it listens, not a page later.
const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8')

export const STYLE = read('dashboard.css')
/** An ES module (the layout loads it with type="module"); every page works without it. */
export const SCRIPT = read('dashboard.js')
