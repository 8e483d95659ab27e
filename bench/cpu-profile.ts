// Summarizes a V8 .cpuprofile (node --cpu-prof): where the samples landed, by area (a package,
// a file of ours, Node's internals, GC) and by function, self and total, idle time left out.
//   tsx bench/cpu-profile.ts /tmp/prof/CPU.....cpuprofile [top]
import { readFileSync } from 'node:fs'

type ProfileNode = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

/** Where a function lives: a package, a file of ours (dist/...), node:internal, or V8 itself. */
function areaOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1] as string
  const ours = /\/dist\/(.+)$/.exec(url)
  if (ours) return `dist/${ours[1]}`
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(.+?)(\/.*)?$/, 'node:$1')
  return url
}

export function summarizeProfile(file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame
    const where = url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''
    return `${functionName || '(anonymous)'} ${where}`.trim()
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const areas = new Map<string, number>()
  let all = 0
  // Total time: a function's samples and its callees', counted once per stack (recursion).
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    let hits = node.hitCount ?? 0
    const key = keyOf(node)
    const name = node.callFrame.functionName
    if (name === '(idle)') return 0
    const first = !onStack.has(key)
    if (first) onStack.add(key)
    for (const child of node.children ?? []) hits += walk(byId.get(child) as ProfileNode, onStack)
    if (first) {
      onStack.delete(key)
      total.set(key, (total.get(key) ?? 0) + hits)
    }
    const own = node.hitCount ?? 0
    self.set(key, (self.get(key) ?? 0) + own)
    const area = areaOf(node.callFrame.url, name)
    areas.set(area, (areas.get(area) ?? 0) + own)
    all += own
    return hits
  }
  walk(profile.nodes[0] as ProfileNode, new Set())
  const pct = (n: number) => `${((100 * n) / all).toFixed(1).padStart(5)}%`
  const list = (title: string, map: Map<string, number>, count: number) =>
    [
      title,
      ...[...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, count)
        .map(([key, n]) => `  ${pct(n)}  ${key}`),
    ].join('\n')
  return [
    `${all} samples (idle left out)`,
    list('self, by area:', areas, 25),
    list('self, by function:', self, top),
    list('total (self and callees), by function:', total, top),
  ].join('\n\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(summarizeProfile(process.argv[2] as string, Number(process.argv[3] ?? 30)))
}
