import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { verifyPassword } from '../../src/accounts/passwords.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('accounts', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  before(async () => {
    testDb = await createTestDatabase()
  })
  after(() => testDb?.drop())
  const accounts = (args: string[], typed?: string) =>
    runCli(['accounts', ...args, '--by', 'root'], testDb.env, { terminalInput: typed })

  test('accounts add reads the password at the terminal, stores only its hash, and audits it as cli:<you>', async () => {
    const added = await accounts(['add', 'ana', '--role', 'operator'], 'ana-long-passphrase\n')
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.stdout, 'created ana (operator)\n')
    assert.match(added.stderr, /Password for ana: /)
    const { rows } = await testDb.db.pool.query<{ role: string; password_hash: string }>(
      `SELECT role, password_hash FROM accounts WHERE name = 'ana'`,
    )
    assert.equal(rows[0]?.role, 'operator')
    assert.ok(await verifyPassword('ana-long-passphrase', rows[0]?.password_hash ?? ''))
    assert.ok(!(await verifyPassword('ana-long-passphrasE', rows[0]?.password_hash ?? '')))
    const audit = await testDb.db.pool.query(
      `SELECT actor, via, action, after FROM audit_log WHERE action LIKE 'account.%' ORDER BY id`,
    )
    assert.deepEqual(audit.rows, [
      {
        actor: 'cli:root',
        via: 'cli',
        action: 'account.create',
        after: { name: 'ana', role: 'operator', disabled: false },
      },
    ])
    const listed = await accounts(['list'])
    assert.match(
      listed.stdout,
      /^ana\s+operator\s+active\s+0 session\(s\)\s+created .* by cli:root$/m,
    )
  })

  test('a password from a pipe is its first line; too short or none is refused (exit 2), never taken from argv', async () => {
    const piped = await runCli(['accounts', 'add', 'bob', '--role', 'viewer'], testDb.env)
    assert.equal(piped.code, 2)
    assert.match(piped.stderr, /password: must be at least 12 characters/)
    const short = await accounts(['add', 'bob', '--role', 'viewer'], 'short\n')
    assert.equal(short.code, 2)
    const badRole = await accounts(['add', 'bob', '--role', 'root'], 'long-enough-password\n')
    assert.equal(badRole.code, 2)
    assert.match(badRole.stderr, /must be one of admin, operator, viewer/)
    const taken = await accounts(['add', 'ana', '--role', 'viewer'], 'long-enough-password\n')
    assert.equal(taken.code, 2)
    assert.match(taken.stderr, /an account named "ana" exists already/)
  })

  test('role, disable, enable, password and end-sessions change the account and are audited', async () => {
    for (const [args, typed, out] of [
      [['role', 'ana', 'viewer'], undefined, /ana is now viewer/],
      [['disable', 'ana'], undefined, /disabled ana/],
      [['enable', 'ana'], undefined, /enabled ana/],
      [['password', 'ana'], 'ana-second-passphrase\n', /password set for ana/],
      [['end-sessions', 'ana'], undefined, /ended the sessions of ana/],
    ] as const) {
      const run = await accounts([...args], typed)
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, out)
    }
    const { rows } = await testDb.db.pool.query<{ action: string; text: string }>(
      `SELECT action, before::text || after::text AS text FROM audit_log WHERE actor = 'cli:root' ORDER BY id`,
    )
    assert.deepEqual(
      rows.map((r) => r.action),
      [
        'account.create',
        'account.update',
        'account.update',
        'account.update',
        'account.password',
        'account.sessions.revoke',
      ],
    )
    for (const row of rows) assert.ok(!row.text?.includes('passphrase'))
    const missing = await accounts(['disable', 'nobody'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /no account named "nobody"/)
  })
})
