import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { USING_REAL_POSTGRES } from './database.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * CLI tests run the real command as a process against the test file's database. An embedded
 * database belongs to the one process that opened it (this test run), so a CLI process cannot
 * reach it: those tests need DATABASE_URL.
 */
export const CLI_SKIP: string | false = USING_REAL_POSTGRES
  ? false
  : 'runs the CLI as a process, which needs a real PostgreSQL (DATABASE_URL): an embedded database belongs to the test process'

export type CliRun = { code: number | null; stdout: string; stderr: string }

/** `postback-receiver <args>` (src/cli/index.ts through tsx) with only the given environment. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: ROOT,
    // No inherited variables and no developer's .env: the test says what the CLI sees.
    env: { PATH: process.env.PATH ?? '', DOTENV_CONFIG_PATH: '/nonexistent/.env', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code] = await once(child, 'exit')
  clearTimeout(timer)
  return { code: code as number | null, stdout, stderr }
}
