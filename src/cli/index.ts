#!/usr/bin/env node
import { loadConfigOrExit, openMigratedDatabase } from '../bootstrap.js'
import { createLogger } from '../http/logging.js'
import { networkPostbackUrl } from '../networks/postback-url.js'
import { DEFAULT_NETWORK } from '../networks/profile.js'
import { loadNetworkProfiles } from '../networks/registry.js'
import { baseUrl, curlExample } from '../postbacks/postback-url.js'
import { resolvePostbackSecrets } from '../postbacks/secrets.js'

// `npm run cli -- <command>` (or `postback-receiver <command>` once built). Shares the
// service's configuration and database; no HTTP round trip.
const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<void> }> = {
  migrate: { help: 'apply pending database migrations and exit', run: migrateCommand },
  url: {
    help: "[network]  the postback URL to paste into the network's dashboard, and a curl test",
    run: urlCommand,
  },
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(10)} ${command.help}`,
  )
  return ['usage: postback-receiver <command>', '', 'commands:', ...lines, ''].join('\n')
}

async function withDatabase<T>(
  work: (db: Awaited<ReturnType<typeof openMigratedDatabase>>) => Promise<T>,
) {
  const config = loadConfigOrExit()
  // Progress goes to stderr so stdout carries only the command's answer.
  const log = createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL })
  const db = await openMigratedDatabase(config, log)
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

async function migrateCommand() {
  await withDatabase(async () => {})
  process.stdout.write('migrations are up to date\n')
}

async function urlCommand(args: string[]) {
  const config = loadConfigOrExit()
  const network = args[0] ?? DEFAULT_NETWORK
  const { profiles } = await withDatabase(async (db) => {
    const { secrets } = await resolvePostbackSecrets(db.pool, config.POSTBACK_SECRET)
    return { profiles: await loadNetworkProfiles(config, secrets) }
  })
  const profile = profiles.find((p) => p.name === network)
  if (!profile) {
    throw new Error(
      `unknown network "${network}"; configured: ${profiles.map((p) => p.name).join(', ')}`,
    )
  }
  const built = networkPostbackUrl(profile, baseUrl(config))
  const lines = [built.url, ...built.notes.map((note) => `# ${note}`)]
  if (profile.name === DEFAULT_NETWORK)
    lines.push('', '# test it:', curlExample(config, profile.secrets[0] ?? ''))
  process.stdout.write(`${lines.join('\n')}\n`)
}

const [name, ...args] = process.argv.slice(2)
if (!name || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(usage())
} else {
  const command = COMMANDS[name]
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${usage()}`)
    process.exit(2)
  }
  try {
    await command.run(args)
  } catch (error) {
    process.stderr.write(`${name} failed: ${(error as Error).message}\n`)
    process.exit(1)
  }
}
