// The results table and bench/RESULTS.md (latest run first, older runs under "Previous runs").
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'

export const RESULTS_FILE = 'bench/RESULTS.md'

export function machineDescription(postgresVersion: string) {
  const meminfo = readFileSync('/proc/meminfo', 'utf8')
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0)
  return [
    `- CPU: ${availableParallelism()} cores (nproc), ${cpus()[0]?.model ?? 'unknown model'}`,
    `- memory: ${(memKb / 1024 / 1024).toFixed(1)} GiB (MemTotal)`,
    `- Node.js: ${process.version}`,
    `- PostgreSQL: ${postgresVersion}`,
  ].join('\n')
}

export function markdownTable(rows: [string, string][]) {
  return ['| metric | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join(
    '\n',
  )
}

const HEADER = `# Benchmark results

Written by \`npm run bench\` (see docs/DEVELOPMENT.md, "Benchmarks"): the latest run first, older runs below.
Load generator, service and database share the same machine.
`
const LATEST = '## Latest run'
const PREVIOUS = '## Previous runs'
const NONE = '(none yet)'

/**
 * Puts this run on top and moves the former latest run under "Previous runs". Notes written by
 * hand between the header and "## Latest run" are kept.
 */
export async function writeResults(run: {
  date: string
  command: string
  machine: string
  table: string
}) {
  const block = `### ${run.date}\n\nCommand: \`${run.command}\`\n\n${run.machine}\n\n${run.table}\n`
  let older = ''
  let notes = ''
  if (existsSync(RESULTS_FILE)) {
    const text = readFileSync(RESULTS_FILE, 'utf8')
    const latestAt = text.indexOf(LATEST)
    if (latestAt > 0 && text.startsWith(HEADER)) notes = text.slice(HEADER.length, latestAt).trim()
    const previousAt = text.indexOf(PREVIOUS)
    const latest =
      latestAt < 0
        ? ''
        : text.slice(latestAt + LATEST.length, previousAt < 0 ? undefined : previousAt)
    const previous =
      previousAt < 0 ? '' : text.slice(previousAt + PREVIOUS.length).replace(NONE, '')
    older = [latest.trim(), previous.trim()].filter(Boolean).join('\n\n')
  }
  const intro = notes ? `${HEADER}\n${notes}\n` : HEADER
  const body = `${intro}\n${LATEST}\n\n${block}\n${PREVIOUS}\n\n${older || NONE}\n`
  await writeFile(RESULTS_FILE, body)
}
