import {
  ACCOUNT_NAME,
  createAccount,
  listAccounts,
  resetPassword,
  revokeSessions,
  updateAccount,
} from '../../accounts/accounts.js'
import { ROLES, type Role } from '../../accounts/permissions.js'
import { HttpError } from '../../http/errors.js'
import { parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { cliActor, withContext } from '../context.js'
import { readPassword } from '../password.js'

export const accountsCommand: Command = {
  summary: 'add|list|role|disable|enable|password|end-sessions  operator accounts',
  usage: `usage: postback-receiver accounts add <name> --role admin|operator|viewer
       postback-receiver accounts list
       postback-receiver accounts role <name> <role>
       postback-receiver accounts disable|enable <name>
       postback-receiver accounts password <name>
       postback-receiver accounts end-sessions <name>

Named accounts sign in to the dashboard. Roles: admin (everything, including accounts, API
tokens, offers and networks), operator (review, replay, retry, adjust), viewer (read only).
The password (at least 12 characters) is read from stdin: asked for without echo at a
terminal, else the first line (printf '%s\\n' "$PW" | postback-receiver accounts add ana
--role operator). Never on the command line. A new password, a new role or disabling ends
the account's sessions at once. Each change is in the audit log as cli:<you>.

  --role <role>   the new account's role (add)
  --by <name>     who you are, for the audit log (default: your user@host)

Also: the dashboard's Accounts page, /admin/accounts.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      role: { type: 'string' },
      by: { type: 'string' },
    })
    const [action = '', name = '', third] = given
    const actor = cliActor(values.by)
    if (action === 'list') {
      positionals(given, ['action'])
      return list()
    }
    if (!ACCOUNT_NAME.test(name))
      throw new UsageError(
        `the account name "${name}" must be 1-64 lowercase letters, digits, dots, dashes or underscores`,
      )
    switch (action) {
      case 'add': {
        const role = roleOf(values.role, '--role')
        const password = await readPassword(`Password for ${name}: `)
        const created = await change(() =>
          withContext(({ db }) => createAccount(db.pool, { name, role, password }, actor)),
        )
        print(`created ${created.name} (${created.role})`)
        return 0
      }
      case 'role': {
        const role = roleOf(third, 'the role')
        await change(() => withContext(({ db }) => updateAccount(db.pool, name, { role }, actor)))
        print(`${name} is now ${role}; their sessions were ended`)
        return 0
      }
      case 'disable':
      case 'enable': {
        const disabled = action === 'disable'
        await change(() =>
          withContext(({ db }) => updateAccount(db.pool, name, { disabled }, actor)),
        )
        print(disabled ? `disabled ${name}; their sessions were ended` : `enabled ${name}`)
        return 0
      }
      case 'password': {
        const password = await readPassword(`New password for ${name}: `)
        await change(() => withContext(({ db }) => resetPassword(db.pool, name, password, actor)))
        print(`password set for ${name}; their sessions were ended`)
        return 0
      }
      case 'end-sessions': {
        const account = await change(() =>
          withContext(({ db }) => revokeSessions(db.pool, name, actor)),
        )
        print(`ended the sessions of ${account.name}`)
        return 0
      }
      default:
        throw new UsageError(`unknown action "${action}"`)
    }
  },
}

async function list(): Promise<number> {
  const accounts = await withContext(({ db }) => listAccounts(db.pool))
  if (accounts.length === 0)
    print('no accounts yet: postback-receiver accounts add <name> --role admin')
  for (const a of accounts)
    print(
      `${a.name.padEnd(20)} ${a.role.padEnd(8)} ${a.disabled ? 'disabled' : 'active  '} ${a.activeSessions} session(s)  created ${a.createdAt.toISOString()} by ${a.createdBy}`,
    )
  return 0
}

function roleOf(value: string | undefined, what: string): Role {
  if (!ROLES.includes(value as Role))
    throw new UsageError(`${what} must be one of ${ROLES.join(', ')}`)
  return value as Role
}

/** An operation's refusal (a short password, a taken or unknown name) is a usage error. */
async function change<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof HttpError && error.statusCode < 500) throw new UsageError(error.message)
    throw error
  }
}
