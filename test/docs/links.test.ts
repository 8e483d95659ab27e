import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { test } from 'node:test'
import { markdownFiles } from '../../scripts/codes-doc.js'

// README.md and docs/*.md link to each other, to sections of each other and to files of the
// repository. These tests fail on a relative link whose file or section is gone, on a link out
// of the repository (a reader of a clone has only the clone), and on a repository path quoted
// in code (`src/http/codes.ts`) that no longer exists.

const ROOT = join(import.meta.dirname, '..', '..')
// Top-level folders whose paths, quoted in code spans, name files of the repository.
const REPO_DIRS = ['src', 'test', 'bench', 'reliability', 'scripts', 'deploy', 'migrations', 'docs']

/** The text outside fenced code blocks (headings and links inside them are examples). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** Every anchor a markdown file offers: its headings' slugs (numbered when repeated), and ids. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>()
  const seen = new Map<string, number>()
  const text = prose(markdown)
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1] ?? '')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    found.add(count === 0 ? base : `${base}-${count}`)
  }
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(match[1] ?? '')
  return found
}

/** Inline links and images, `[text](target)`, outside code. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '``')
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (match) => match[1] ?? '',
  )
}

/** What is wrong with the links of `file` (relative to the repository root), one line each. */
async function brokenLinks(file: string, markdown: string): Promise<string[]> {
  const problems: string[] = []
  for (const target of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
    const [path = '', anchor] = target.split('#', 2)
    const resolved = path ? resolve(ROOT, dirname(file), decodeURI(path)) : join(ROOT, file)
    const inRepo = relative(ROOT, resolved)
    if (inRepo.startsWith(`..${sep}`) || inRepo === '..') {
      problems.push(`${file}: ${target} leads out of the repository`)
      continue
    }
    if (path && !existsSync(resolved)) {
      problems.push(`${file}: ${target}: no such file ${inRepo}`)
      continue
    }
    if (anchor && resolved.endsWith('.md')) {
      const text = path ? await readFile(resolved, 'utf8') : markdown
      if (!anchors(text).has(anchor)) problems.push(`${file}: ${target}: no such section`)
    }
  }
  for (const match of prose(markdown).matchAll(/`([^`\n]+)`/g)) {
    const quoted = match[1] ?? ''
    // `./data/pglite` is where something is made at run time; `../x` can only mean a file here.
    if (quoted.startsWith('../')) {
      const resolved = resolve(ROOT, dirname(file), quoted)
      if (relative(ROOT, resolved).startsWith('..') || !existsSync(resolved))
        problems.push(`${file}: \`${quoted}\` is not a file of the repository`)
      continue
    }
    const top = quoted.split('/')[0] ?? ''
    if (!REPO_DIRS.includes(top) || !/^[\w.-]+(\/[\w.-]+)+\/?$/.test(quoted)) continue
    if (!existsSync(join(ROOT, quoted)))
      problems.push(`${file}: \`${quoted}\` does not exist in the repository`)
  }
  return problems
}

test('every relative link in README.md and docs/*.md leads to a file and section of the repository', async () => {
  const problems: string[] = []
  let checked = 0
  for (const file of await markdownFiles(ROOT)) {
    const markdown = await readFile(join(ROOT, file), 'utf8')
    checked += links(markdown).length
    problems.push(...(await brokenLinks(file, markdown)))
  }
  assert.deepEqual(problems, [])
  assert.ok(checked > 50, `only ${checked} links found`)
})

test('a broken link, a missing section, a link out of the repository and a stale path are caught', async () => {
  const markdown = [
    '# Title',
    '## A `code` heading: with punctuation',
    'See [this](#a-code-heading-with-punctuation), [networks](NETWORKS.md#presets),',
    '[gone](NOPE.md), [no section](NETWORKS.md#nope), [out](../../shared/x.md),',
    '[web](https://example.com), `src/http/codes.ts`, `src/http/gone.ts`, `../../shared/x.md`.',
    '```sh',
    '[in code](NOPE-IN-CODE.md) `src/in-code.ts`',
    '```',
  ].join('\n')
  assert.deepEqual(await brokenLinks(join('docs', 'EXAMPLE.md'), markdown), [
    'docs/EXAMPLE.md: NOPE.md: no such file docs/NOPE.md',
    'docs/EXAMPLE.md: NETWORKS.md#nope: no such section',
    'docs/EXAMPLE.md: ../../shared/x.md leads out of the repository',
    'docs/EXAMPLE.md: `src/http/gone.ts` does not exist in the repository',
    'docs/EXAMPLE.md: `../../shared/x.md` is not a file of the repository',
  ])
})
