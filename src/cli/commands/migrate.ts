import { parseFlags, positionals } from '../args.js'
import { type Command, print } from '../command.js'
import { withContext } from '../context.js'

export const migrateCommand: Command = {
  summary: 'apply pending database migrations and exit',
  usage: `usage: postback-receiver migrate

Applies every pending migration in migrations/ to the configured database (DATABASE_URL, or
the embedded one) and exits. The service does the same at startup.`,
  async run(args) {
    positionals(parseFlags(args, {}).positionals, [])
    await withContext(async () => {})
    print('migrations are up to date')
    return 0
  },
}
