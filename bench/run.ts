// npm run bench: at each concurrency, pgbench's ceiling for the minimal postback transaction
// beside the service under unique approvals (bench/sweep.ts), with issue 16's targets; or, with
// --mix, the realistic mix at one concurrency (bench/mix-run.ts). Prints markdown and records it
// in bench/RESULTS.md. Exits 1 if a verification fails or the service answers what it never should.
//   npm run bench -- [--connections 1,8,32,64] [--seconds 15] [--warmup 2] [--embedded]
//                    [--service-dir ../other-checkout ...]
//   npm run bench -- --mix [--connections 32] [--seconds 15] [--embedded | --instances 2]
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { runMix } from './mix-run.js'
import { machineDescription, RESULTS_FILE, writeResults } from './report.js'
import { adminQuery, cleanUpAll } from './service.js'
import { runSweep, type ServiceUnderTest, unexpectedApprovalStatuses } from './sweep.js'
import { sweepReport } from './sweep-report.js'

const USAGE = `usage: npm run bench -- [--connections 1,8,32,64] [--seconds 15] [--warmup 2] [--embedded]
                        [--service-dir <built checkout> ...]
       npm run bench -- --mix [--connections 32] [--seconds 15] [--embedded | --instances 2]`

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string' },
    warmup: { type: 'string', default: '2' },
    embedded: { type: 'boolean', default: false },
    mix: { type: 'boolean', default: false },
    instances: { type: 'string', default: '1' },
    'service-dir': { type: 'string', multiple: true },
  },
})

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`)
  process.exit(2)
}

const seconds = Number(args.seconds)
const warmup = Number(args.warmup)
const instances = Number(args.instances)
const defaultLevels = args.mix ? '32' : args.embedded ? '1,32' : '1,8,32,64'
const levels = (args.connections ?? defaultLevels).split(',').map(Number)
const serviceDirs = args['service-dir'] ?? ['.']
if (!(seconds > 0) || !(warmup >= 0)) usage('--seconds must be > 0 and --warmup >= 0')
if (!levels.every((c) => Number.isInteger(c) && c > 0))
  usage('--connections takes positive integers separated by commas')
if (!(Number.isInteger(instances) && instances > 0)) usage('--instances takes a positive integer')
if (instances > 1 && (!args.mix || args.embedded))
  usage('--instances needs --mix and PostgreSQL (one embedded database has one owner)')
if (args.mix && (levels.length > 1 || serviceDirs.length > 1))
  usage('--mix takes one --connections value and at most one --service-dir')
for (const dir of serviceDirs) {
  if (!existsSync(join(dir, 'dist/server.js')))
    usage(`${dir}/dist/server.js not found: build that checkout first (npm run build)`)
}

/** "this checkout (abc1234)" or "../old (abc1234, uncommitted changes)". */
function describeCheckout(dir: string): ServiceUnderTest {
  const git = (...gitArgs: string[]) => {
    try {
      return String(execFileSync('git', ['-C', dir, ...gitArgs], { stdio: 'pipe' })).trim()
    } catch {
      return ''
    }
  }
  const commit = git('rev-parse', '--short', 'HEAD') || 'not a git checkout'
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? ', uncommitted changes' : ''
  const name = resolve(dir) === resolve('.') ? 'this checkout' : basename(resolve(dir))
  return { dir, label: `${name} (${commit}${dirty})` }
}

async function postgresVersion() {
  try {
    const rows = await adminQuery<{ version: string }>('SELECT version()')
    return rows[0]?.version ?? 'unknown'
  } catch (error) {
    return `unreachable (${(error as Error).message})`
  }
}

async function main() {
  const started = new Date()
  let markdown: string
  let problems: string[]
  if (args.mix) {
    const mix = await runMix({
      seconds,
      connections: levels[0] as number,
      embedded: args.embedded,
      instances,
      serviceDir: serviceDirs[0] as string,
    })
    markdown = mix.table
    problems = mix.problems
  } else {
    const options = {
      levels,
      seconds,
      warmup,
      embedded: args.embedded,
      services: serviceDirs.map(describeCheckout),
    }
    const results = await runSweep(options)
    markdown = sweepReport(results, options)
    problems = [
      ...results.flatMap((r) =>
        r.verification.failures.map((f) => `${r.service.label} at ${r.connections}: ${f}`),
      ),
      ...unexpectedApprovalStatuses(results),
      ...results
        .filter((r) => r.run.accepted.length === 0)
        .map((r) => `${r.service.label} at ${r.connections}: no postback accepted`),
    ]
  }
  console.log(`\n${markdown}\n`)

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  await writeResults({
    date: started.toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    machine: machineDescription(await postgresVersion()),
    table: markdown,
  })
  process.stderr.write(`written to ${RESULTS_FILE}\n`)

  if (problems.length > 0) {
    console.error(`bench FAILED: ${problems.join('; ')}`)
    process.exitCode = 1
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`${signal}: stopping children and dropping bench databases\n`)
    cleanUpAll().then(
      () => process.exit(130),
      (error: unknown) => {
        console.error(`cleanup failed: ${(error as Error).message}`)
        process.exit(130)
      },
    )
  })
}
try {
  await main()
} finally {
  await cleanUpAll()
}
