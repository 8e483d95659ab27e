import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openDatabase } from '../../src/db/database.js'
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js'
import { createEmptyDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// Migration 0008 adds postback_log.caller_verified. Rows logged before it are marked verified
// only where their outcome proves the caller passed verification; everything else stays false,
// so replay will not trust it by default.
test('existing log rows are marked verified only where the outcome proves it', async () => {
  const empty = await createEmptyDatabase()
  const before = await mkdtemp(join(tmpdir(), 'pbr-before-0008-'))
  const db = await openDatabase(testConfig(empty.env), silentLogger())
  try {
    for (const name of await readdir(MIGRATIONS_DIR))
      if (name.endsWith('.sql') && name < '0008')
        await copyFile(join(MIGRATIONS_DIR, name), join(before, name))
    await migrate(db.pool, before)
    const rows: [string, number, string][] = [
      ['accepted', 200, 'credited'],
      ['test', 200, 'test'],
      ['missing', 400, 'MISSING_FIELD'],
      ['invalid', 400, 'INVALID_FIELD'],
      ['macro', 400, 'UNREPLACED_MACRO'],
      ['ambiguous', 400, 'AMBIGUOUS_PARAM'],
      ['body', 400, 'INVALID_BODY'],
      ['type', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['large', 413, 'BODY_TOO_LARGE'],
      ['network', 404, 'UNKNOWN_NETWORK'],
      ['secret', 403, 'BAD_SECRET'],
      ['ip', 403, 'IP_NOT_ALLOWED'],
    ]
    const ids = new Map<string, string>()
    for (const [name, status, outcome] of rows) {
      const { rows: inserted } = await db.pool.query<{ id: string }>(
        `INSERT INTO postback_log (method, path, query, status_code, outcome)
         VALUES ('GET', '/api/postback', $1, $2, $3) RETURNING id`,
        [name, status, outcome],
      )
      ids.set(name, inserted[0]?.id ?? '')
    }
    // Replays take their original's value, whatever their own outcome.
    const replay = async (name: string, of: string) =>
      db.pool.query(
        `INSERT INTO postback_log (method, path, query, status_code, outcome, replay_of, replayed_by)
         VALUES ('GET', '/api/postback', $1, 200, 'credited', $2, 'cli:ops')`,
        [name, ids.get(of)],
      )
    await replay('replay-of-missing', 'missing')
    await replay('replay-of-type', 'type')
    await replay('replay-of-secret', 'secret')

    assert.deepEqual(
      await migrate(db.pool),
      ['0008_postback_log_caller_verified.sql'].concat(
        (await readdir(MIGRATIONS_DIR))
          .filter((n) => n.endsWith('.sql') && n > '0008_postback_log_caller_verified.sql')
          .sort(),
      ),
    )
    const { rows: marked } = await db.pool.query<{ query: string }>(
      'SELECT query FROM postback_log WHERE caller_verified ORDER BY id',
    )
    assert.deepEqual(
      marked.map((row) => row.query),
      ['accepted', 'test', 'missing', 'invalid', 'macro', 'replay-of-missing'],
    )
  } finally {
    await db.close()
    await empty.drop()
    await rm(before, { recursive: true, force: true })
  }
})
