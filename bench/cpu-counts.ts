// What the service process does per accepted postback, counted rather than timed, so the figures
// hold however loaded the machine is: system calls (strace -c -f, every thread) and user-space
// instructions (valgrind's callgrind, every thread; the kernel's work in those system calls is
// not in it). One connection, unique transaction ids, real PostgreSQL, after a warm-up long
// enough for V8 to have optimized the hot code (before ~5000 requests it still compiles).
//   npm run -s build && tsx bench/cpu-counts.ts                       # this build
//   tsx bench/cpu-counts.ts --build before=/tmp/before --build after=.  # dirs with dist/, package.json, migrations/
//   options: --warmup 5000 --requests 5000 --no-instructions (system calls only: seconds, not minutes)
// Under callgrind the service runs ~50× slower: about 5 minutes per build on an idle machine.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cleanUpAll, createDatabase, freePort, SECRET, spawnTracked, stopChild } from './service.js'

const { values: args } = parseArgs({
  options: {
    build: { type: 'string', multiple: true, default: ['current=.'] },
    warmup: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '5000' },
    'no-instructions': { type: 'boolean', default: false },
  },
})

type Started = { child: ChildProcess; port: number; env: Record<string, string> }

/** The built service in `dir` on a fresh database, optionally under `wrapper` (valgrind ...). */
async function start(
  dir: string,
  wrapper: string[] = [],
  nodeArgs: string[] = [],
): Promise<Started> {
  const db = await createDatabase('pbr_counts')
  const port = await freePort()
  const env = {
    PATH: process.env.PATH ?? '',
    // valgrind names its control pipe after USER and HOST; callgrind_control must see the same.
    USER: 'root',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    POSTBACK_SECRET: SECRET,
    DOTENV_CONFIG_PATH: '/nonexistent/.env',
    RATE_LIMIT_MAX: '1000000',
    DATABASE_URL: db.url,
    // Under valgrind everything is slower: no deadline may cut a postback short.
    POSTBACK_TIMEOUT_MS: '60000',
    REQUEST_TIMEOUT: '120 s',
    HEADERS_TIMEOUT: '120 s',
  }
  const [command, ...rest] = [...wrapper, process.execPath, ...nodeArgs, 'dist/server.js'] as [
    string,
  ]
  const child = spawnTracked(command, rest, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  for (let waited = 0; ; waited += 1) {
    if (child.exitCode !== null) throw new Error(`the service exited early: ${stderr}`)
    if (waited > 1200) throw new Error('the service did not become ready in 20 minutes')
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return { child, port, env }
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

let sequence = 0
const runId = Date.now().toString(36)

/** `total` postbacks one after another on one keep-alive connection; returns how many got 200. */
async function drive(port: number, total: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  let accepted = 0
  for (let i = 0; i < total; i++) {
    sequence += 1
    const path = `/api/postback?tx_id=counts-${runId}-${sequence}&offer_id=7&payout=3.50&user_id=user-${sequence % 1000}&secret=${SECRET}`
    accepted += await new Promise<number>((resolve, reject) => {
      const req = request({ agent, hostname: '127.0.0.1', port, path }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode === 200 ? 1 : 0))
      })
      req.on('error', reject)
      req.end()
    })
  }
  agent.destroy()
  return accepted
}

/** System calls per accepted postback, by name, every thread of the process. */
async function countSyscalls(dir: string) {
  const service = await start(dir)
  const out = join(await mkdtemp(join(tmpdir(), 'pbr-strace-')), 'summary')
  try {
    await drive(service.port, Number(args.warmup))
    const strace = spawn('strace', ['-f', '-c', '-o', out, '-p', String(service.child.pid)])
    await new Promise((resolve) => setTimeout(resolve, 1000)) // attached to every thread
    const accepted = await drive(service.port, Number(args.requests))
    const exited = new Promise((resolve) => strace.once('exit', resolve))
    strace.kill('SIGINT')
    await exited
    const calls = new Map<string, number>()
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      // % time, seconds, usecs/call, calls, [errors], syscall
      const fields = line.trim().split(/\s+/)
      const name = fields.at(-1) as string
      if (!/^\d/.test(fields[0] ?? '') || name === 'total' || fields.length < 5) continue
      calls.set(name, Number(fields[3]) / accepted)
    }
    return calls
  } finally {
    await stopChild(service.child)
  }
}

/** User-space instructions per accepted postback (callgrind, counters zeroed after the warm-up). */
async function countInstructions(dir: string) {
  const outDir = await mkdtemp(join(tmpdir(), 'pbr-callgrind-'))
  // --predictable: V8 compiles and collects garbage on the main thread, at the same points
  // from run to run; every thread is counted either way.
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${outDir}/callgrind.%p`,
  ]
  const service = await start(dir, wrapper, ['--predictable'])
  const control = (command: string) =>
    execFileSync('callgrind_control', [command, String(service.child.pid)], {
      env: { ...process.env, USER: service.env.USER, HOST: service.env.HOST },
      stdio: 'ignore',
    })
  try {
    await drive(service.port, Number(args.warmup))
    control('--zero')
    const accepted = await drive(service.port, Number(args.requests))
    control('--dump=measured')
    for (let i = 0; i < 60; i++) {
      const dump = readdirSync(outDir).find((file) => file.endsWith('.1'))
      const text = dump ? readFileSync(join(outDir, dump), 'utf8') : ''
      const total = /^(?:summary|totals): (\d+)/m.exec(text)?.[1]
      if (dump && total)
        return {
          perPostback: Number(total) / accepted,
          gcPerPostback: garbageCollection(join(outDir, dump)) / accepted,
        }
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    throw new Error('callgrind wrote no dump')
  } finally {
    service.child.kill('SIGKILL')
  }
}

// V8's collector, by function name. Whether its larger collections fall inside the measured
// requests moved the total by up to 8% between runs of one build; the count outside the
// collector held within 1.5%, so builds are best compared by that.
const GC_FUNCTION =
  /v8::internal::(?:Heap::|Scavenge|MarkCompact|MinorMarkCompact|IncrementalMarking|ConcurrentMarking|Sweeper|Evacuat|RememberedSet|SlotSet|PretenuringHandler|MemoryAllocator)|Marking(?:Visitor|State|Worklist)|IteratePointers|heap::base::/

/** Self instructions of the garbage collector's functions in a callgrind dump. */
function garbageCollection(dump: string): number {
  const report = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  let sum = 0
  for (const line of report.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line)
    if (match && GC_FUNCTION.test(match[2] as string))
      sum += Number((match[1] as string).replaceAll(',', ''))
  }
  return sum
}

async function main() {
  const rows: string[] = []
  const names = new Set<string>()
  const results: {
    name: string
    calls: Map<string, number>
    instructions: { perPostback: number; gcPerPostback: number } | null
  }[] = []
  for (const spec of args.build) {
    const [name, dir] = spec.split('=') as [string, string]
    process.stderr.write(`${name}: system calls\n`)
    const calls = await countSyscalls(dir)
    for (const call of calls.keys()) names.add(call)
    let instructions: { perPostback: number; gcPerPostback: number } | null = null
    if (!args['no-instructions']) {
      process.stderr.write(`${name}: instructions (callgrind, minutes)\n`)
      instructions = await countInstructions(dir)
    }
    results.push({ name, calls, instructions })
  }
  const shown = [...names]
    .filter((call) => results.some((r) => (r.calls.get(call) ?? 0) >= 0.05))
    .sort()
  rows.push(
    `| build | instructions (M) | outside GC (M) | system calls | ${shown.join(' | ')} |`,
    `| --- | --- | --- | --- | ${shown.map(() => '---').join(' | ')} |`,
  )
  for (const r of results) {
    const total = [...r.calls.values()].reduce((sum, n) => sum + n, 0)
    rows.push(
      `| ${r.name} | ${r.instructions ? (r.instructions.perPostback / 1e6).toFixed(3) : '-'} | ${r.instructions ? ((r.instructions.perPostback - r.instructions.gcPerPostback) / 1e6).toFixed(3) : '-'} | ${total.toFixed(1)} | ${shown.map((call) => (r.calls.get(call) ?? 0).toFixed(1)).join(' | ')} |`,
    )
  }
  console.log(
    `\nPer accepted postback, 1 connection, after ${args.warmup} warm-up requests, over ${args.requests}:\n`,
  )
  console.log(rows.join('\n'))
}

try {
  await main()
} finally {
  await cleanUpAll()
}
