import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { PRESETS } from '../../src/networks/presets/index.js'

// The docs once named 4 presets of 16 while the code had 19. These tests fail when a preset is
// added or removed without docs/NETWORKS.md's two tables and README's count following.

const ROOT = join(import.meta.dirname, '..', '..')
const NAMES = Object.keys(PRESETS).sort()

/** The preset names in the first column of the table whose header starts with `header`. */
function tableNames(markdown: string, header: string): string[] {
  const start = markdown.indexOf(header)
  assert.notEqual(start, -1, `no table headed ${header}`)
  const names: string[] = []
  for (const line of markdown.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break
    const name = /^\| `([a-z0-9_-]+)` \|/.exec(line)?.[1]
    assert.ok(name, `a row without a preset name: ${line.slice(0, 60)}`)
    names.push(name)
  }
  return names.sort()
}

test("docs/NETWORKS.md's URL table and preset table have one row per built-in preset", async () => {
  const networks = await readFile(join(ROOT, 'docs', 'NETWORKS.md'), 'utf8')
  assert.deepEqual(tableNames(networks, '| Preset | Printed URL'), NAMES)
  assert.deepEqual(tableNames(networks, '| Preset | Source | Parameters'), NAMES)
})

test('README and docs/POSTBACKS.md give the number of built-in presets the code has', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  assert.match(readme, new RegExp(`\\b${NAMES.length} networks have built-in presets`))
  for (const title of Object.values(PRESETS).map((preset) => preset.title.split(/[ /(]/)[0]))
    assert.ok(readme.includes(title ?? ''), `README does not name ${title}`)
  const postbacks = await readFile(join(ROOT, 'docs', 'POSTBACKS.md'), 'utf8')
  assert.match(postbacks, new RegExp(`built-in presets for ${NAMES.length} networks`))
})
