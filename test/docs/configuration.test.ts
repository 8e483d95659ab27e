import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.js'

// docs/CONFIGURATION.md is written by hand; src/config.ts's schema is the truth. These tests
// fail when the page or .env.example names a variable the schema does not have, misses one it
// has, or shows a default the schema does not give.

const ROOT = join(import.meta.dirname, '..', '..')
const DEFAULTS: Record<string, unknown> = loadConfig({})
const NAMES = Object.keys(DEFAULTS).sort()
// Read by docker-compose for its PostgreSQL container, not by the service.
const COMPOSE_ONLY = ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']

/** IP lists compare by their entries (the parsed list also carries a function). */
function comparable(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'entries' in value)
    return (value as { entries: unknown }).entries
  return value
}

/** No value: the feature is off or the setting is derived (undefined, or an empty list). */
function isUnset(value: unknown): boolean {
  const plain = comparable(value)
  return plain === undefined || (Array.isArray(plain) && plain.length === 0)
}

/** Problems with `text` as the value of `name`, compared with the schema's default. */
function checkDefault(name: string, text: string): string | undefined {
  let parsed: unknown
  try {
    parsed = (loadConfig({ [name]: text }) as Record<string, unknown>)[name]
  } catch (error) {
    if (error instanceof ConfigError) return `${name}: "${text}" is refused: ${error.message}`
    throw error
  }
  try {
    assert.deepEqual(comparable(parsed), comparable(DEFAULTS[name]))
  } catch {
    return `${name}: "${text}" is ${JSON.stringify(comparable(parsed))}, the default is ${JSON.stringify(comparable(DEFAULTS[name]))}`
  }
  return undefined
}

function sameNames(where: string, found: string[]): string[] {
  const problems: string[] = []
  for (const name of NAMES)
    if (!found.includes(name))
      problems.push(`${where} does not name ${name} (src/config.ts has it)`)
  for (const name of found)
    if (!NAMES.includes(name)) problems.push(`${where} names ${name}, which src/config.ts lacks`)
  return problems
}

/** Every disagreement between docs/CONFIGURATION.md's tables and the schema. */
function pageDrift(markdown: string): string[] {
  const problems: string[] = []
  const rows = new Map<string, string>()
  for (const line of markdown.split('\n')) {
    const match = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line)
    if (!match?.[1] || match[2] === undefined) continue
    if (rows.has(match[1])) problems.push(`${match[1]} has two rows`)
    rows.set(match[1], match[2].trim())
  }
  problems.push(...sameNames('docs/CONFIGURATION.md', [...rows.keys()]))
  for (const [name, cell] of rows) {
    if (!NAMES.includes(name)) continue
    const literal = /^`([^`]*)`$/.exec(cell)
    if (literal) {
      const problem = checkDefault(name, literal[1] ?? '')
      if (problem) problems.push(`docs/CONFIGURATION.md: ${problem}`)
    } else if (/^\*\(.+\)\*$/.test(cell)) {
      // *(none)*, *(off)*, *(generated)*...: the schema must give no value of its own.
      if (!isUnset(DEFAULTS[name]))
        problems.push(`docs/CONFIGURATION.md: ${name} says ${cell}, the default is a value`)
    } else {
      problems.push(`docs/CONFIGURATION.md: ${name}'s default is neither \`value\` nor *(words)*`)
    }
  }
  return problems
}

/** Every disagreement between .env.example and the schema ("every line shows the default"). */
function envExampleDrift(text: string): string[] {
  const problems: string[] = []
  const lines = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (!match?.[1] || COMPOSE_ONLY.includes(match[1])) continue
    if (lines.has(match[1])) problems.push(`.env.example sets ${match[1]} twice`)
    lines.set(match[1], match[2] ?? '')
  }
  problems.push(...sameNames('.env.example', [...lines.keys()]))
  for (const [name, value] of lines) {
    if (!NAMES.includes(name)) continue
    if (value === '') {
      if (!isUnset(DEFAULTS[name])) problems.push(`.env.example: ${name} is empty, not its default`)
      continue
    }
    const problem = checkDefault(name, value)
    if (problem) problems.push(`.env.example: ${problem}`)
  }
  return problems
}

test('docs/CONFIGURATION.md lists every variable of src/config.ts once, with its default', async () => {
  const page = await readFile(join(ROOT, 'docs', 'CONFIGURATION.md'), 'utf8')
  assert.deepEqual(pageDrift(page), [])
  assert.ok(NAMES.length > 50, `only ${NAMES.length} variables found`)
})

test('.env.example sets every variable of src/config.ts to its default, or leaves it empty when it has none', async () => {
  const example = await readFile(join(ROOT, '.env.example'), 'utf8')
  assert.deepEqual(envExampleDrift(example), [])
})

test('a drifted page or .env.example is caught: a wrong default, a missing row, an unknown variable', async () => {
  const page = await readFile(join(ROOT, 'docs', 'CONFIGURATION.md'), 'utf8')
  const wrongDefault = page.replace('| `PORT` | `3000` |', '| `PORT` | `3001` |')
  assert.match(pageDrift(wrongDefault).join('\n'), /PORT: "3001" is 3001, the default is 3000/)
  const missing = page.replace(/^\| `HOST` .*\n/m, '')
  assert.match(pageDrift(missing).join('\n'), /does not name HOST/)
  const unknown = `${page}\n| \`NO_SUCH_SETTING\` | \`1\` | x |\n`
  assert.match(pageDrift(unknown).join('\n'), /names NO_SUCH_SETTING/)
  const notUnset = page.replace('| `LOG_LEVEL` | `info` |', '| `LOG_LEVEL` | *(none)* |')
  assert.match(pageDrift(notUnset).join('\n'), /LOG_LEVEL says \*\(none\)\*/)

  const example = await readFile(join(ROOT, '.env.example'), 'utf8')
  assert.match(
    envExampleDrift(
      example.replace('\nDELIVERY_LEASE=2 minutes\n', '\nDELIVERY_LEASE=3 minutes\n'),
    ).join('\n'),
    /DELIVERY_LEASE: "3 minutes" is 180000, the default is 120000/,
  )
  assert.match(
    envExampleDrift(example.replace(/^GROUP_COMMIT_LANES=.*\n/m, '')).join('\n'),
    /\.env\.example does not name GROUP_COMMIT_LANES/,
  )
})
