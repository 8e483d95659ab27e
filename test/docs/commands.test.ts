import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { markdownFiles } from '../../scripts/codes-doc.js'

// The commands the docs tell a reader to type must exist, and CI must run the tests the way the
// README says to run them.

const ROOT = join(import.meta.dirname, '..', '..')

test('every `npm run <script>` in README.md and docs/*.md is a script of package.json', async () => {
  const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const missing: string[] = []
  let checked = 0
  for (const file of await markdownFiles(ROOT)) {
    const text = await readFile(join(ROOT, file), 'utf8')
    for (const match of text.matchAll(/\bnpm run (?:-s )?([a-z][\w:-]*[\w])/g)) {
      checked += 1
      if (!(match[1] && match[1] in scripts)) missing.push(`${file}: npm run ${match[1]}`)
    }
  }
  assert.deepEqual(missing, [])
  assert.ok(checked > 30, `only ${checked} commands found`)
})

test('the README runs the tests with `npm test`, and so does CI, on both databases', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  assert.match(readme, /^npm test\b/m)
  const ci = await readFile(join(ROOT, '.ci', 'run'), 'utf8')
  assert.match(ci, /DATABASE_URL=\S+[^\n]*\bnpm test\b/, 'CI runs npm test on real PostgreSQL')
  assert.match(ci, /-u DATABASE_URL[^\n]*\bnpm test\b/, 'CI runs npm test on the embedded database')
})
