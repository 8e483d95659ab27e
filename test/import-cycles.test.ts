import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

// Data flows one way: a module that imports (at run time) a module that imports it back sees
// half-initialized exports, depending on which one was loaded first. The dashboard's route
// files once imported helpers from the plugin that registers them; they share context.ts now.
// Type-only imports are erased by tsc (verbatimModuleSyntax) and are not counted.

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

/** Relative value imports and re-exports of a file (not `import type` / `export type`). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.[^']+)'/gm)) {
    const target = match[1] ?? ''
    found.push(resolve(dirname(file), target.replace(/\.js$/, '.ts')))
  }
  for (const match of text.matchAll(/^import\s+'(\.[^']+)'/gm))
    found.push(resolve(dirname(file), (match[1] ?? '').replace(/\.js$/, '.ts')))
  return found
}

test('no module in src/ imports itself back through a chain of run-time imports', () => {
  const files = sourceFiles(SRC)
  const graph = new Map(files.map((file) => [file, valueImports(file)]))
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      const cycle = path.slice(path.indexOf(file))
      cycles.push([...cycle, file].map((f) => relative(SRC, f)).join(' > '))
      return
    }
    state.set(file, 'open')
    for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file])
    state.set(file, 'done')
  }
  for (const file of files) visit(file, [])
  assert.ok(files.length > 100, 'the source files were found')
  assert.deepEqual(cycles, [])
})
