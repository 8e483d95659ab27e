import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CODES, type ErrorCode, type Where } from '../src/http/codes.js'

// The docs' tables of error codes, generated from the code registry (src/http/codes.ts)
// between markers such as `<!-- codes:postback -->` and `<!-- /codes:postback -->` in
// README.md and docs/*.md. `npm run docs:codes` rewrites them; test/http/codes.test.ts fails
// when one differs from what the registry says.

/** The generated tables: `postback` (what a postback route answers) and `all`. */
export const TABLES = ['postback', 'all'] as const
export type Table = (typeof TABLES)[number]

const WHERE: Record<Where, string> = {
  postback: 'postbacks',
  log: 'postback log',
  admin: 'admin API',
  dashboard: 'dashboard',
  any: 'any route',
}

/** Registry text for the docs: no network is known, so `network {network}` is `the network`. */
export function docText(text: string): string {
  const general = text
    .replaceAll('network {network}', 'the network')
    .replaceAll('{network}', '<network>')
  return (general[0]?.toUpperCase() ?? '') + general.slice(1).replaceAll('|', '\\|')
}

export function renderTable(table: Table): string {
  const codes = (Object.keys(CODES) as ErrorCode[])
    .filter((code) => table === 'all' || (CODES[code].on as readonly Where[]).includes(table))
    .sort((a, b) => CODES[a].status - CODES[b].status)
  const where = (code: ErrorCode) => CODES[code].on.map((on) => WHERE[on]).join(', ')
  const rows = codes.map((code) => {
    const { status, title, action } = CODES[code]
    const cells =
      table === 'all'
        ? [status, `\`${code}\``, where(code), docText(title), docText(action)]
        : [status, `\`${code}\``, docText(title), docText(action)]
    return `| ${cells.join(' | ')} |`
  })
  const head =
    table === 'all'
      ? ['| Status | Code | Answered on | Means | Do |', '| --- | --- | --- | --- | --- |']
      : ['| Status | Code | Means | Do |', '| --- | --- | --- | --- |']
  return [...head, ...rows].join('\n')
}

const BLOCK = /(<!-- codes:(\w+) -->)[\s\S]*?(<!-- \/codes:\2 -->)/g

/** The markdown with every code block regenerated; unknown table names are an error. */
export function refreshCodeBlocks(markdown: string): string {
  return markdown.replace(BLOCK, (_match, open: string, name: string, close: string) => {
    if (!(TABLES as readonly string[]).includes(name)) throw new Error(`no code table "${name}"`)
    return `${open}\n${renderTable(name as Table)}\n${close}`
  })
}

/** README.md and docs/*.md, relative to the repository root. */
export async function markdownFiles(root: string): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md'))
  return ['README.md', ...docs.map((name) => join('docs', name))]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '..')
  for (const file of await markdownFiles(root)) {
    const text = await readFile(join(root, file), 'utf8')
    const fresh = refreshCodeBlocks(text)
    if (fresh !== text) {
      await writeFile(join(root, file), fresh)
      console.log(`updated ${file}`)
    }
  }
}
