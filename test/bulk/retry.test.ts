import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { eventually } from '../delivery/harness.js'
import { adminHeaders, createTestApp, type TestApp } from '../helpers/app.js'

// Bulk retry of dead deliveries through the admin API: a preview by rule, a run per rule that
// gives each dead delivery of that rule one fresh set of attempts, two starts at once making
// one run, and nothing retried twice by a second run.

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

const admin = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) })

/** A conversion and `count` deliveries of `rule` in `state`; their ids. */
async function deliveries(rule: string, state: string, count: number): Promise<string[]> {
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    `WITH c AS (INSERT INTO conversions (network, tx_id, payout, points, status, network_status)
                VALUES ('default', 'bulk-' || $1 || '-' || $2 || '-' || random(), 1, 100, 'approved', 'approved')
                RETURNING id)
     INSERT INTO deliveries (conversion_id, rule, event, data, state, attempts, max_attempts, last_error)
     SELECT c.id, $1, 'credited', '{}', $2, 3, 3, 'answered 502' FROM c, generate_series(1, $3::int)
     RETURNING id::text`,
    [rule, state, count],
  )
  return rows.map((r) => r.id)
}

async function statesOf(ids: string[]) {
  const { rows } = await t.testDb.db.pool.query<{ state: string; attempts: number }>(
    'SELECT state, attempts FROM deliveries WHERE id = ANY($1) ORDER BY id',
    [ids],
  )
  return rows
}

async function finished(id: string) {
  return eventually(
    async () => (await admin('GET', `/admin/bulk-runs/${id}`)).json(),
    (run) => run.state !== 'running',
    60_000, // a loaded machine on PGlite: the outcome is what is checked, not the time
  )
}

test('a bulk retry per rule gives each dead delivery of that rule one fresh set of attempts', async () => {
  const crm = await deliveries('crm', 'dead', 450)
  const slack = await deliveries('slack', 'dead', 3)
  const delivered = await deliveries('crm', 'delivered', 2)

  const preview = await admin('GET', '/admin/deliveries/bulk-retry')
  assert.deepEqual(preview.json(), {
    dead: 453,
    willRetry: 453,
    cap: 10_000,
    byRule: [
      { rule: 'crm', dead: 450 },
      { rule: 'slack', dead: 3 },
    ],
  })
  const capped = await admin('GET', '/admin/deliveries/bulk-retry?rule=crm&limit=100')
  assert.equal(capped.json().willRetry, 100)

  const starts = await Promise.all([
    admin('POST', '/admin/deliveries/bulk-retry', { rule: 'crm' }),
    admin('POST', '/admin/deliveries/bulk-retry', { rule: 'crm' }),
  ])
  const codes = starts.map((s) => s.statusCode).sort()
  assert.deepEqual(codes, [200, 409], starts.map((s) => s.body).join('\n'))
  const refused = starts.find((s) => s.statusCode === 409)?.json()
  assert.equal(refused.code, 'BULK_RUN_ACTIVE')
  const run = await finished(starts.find((s) => s.statusCode === 200)?.json().id)
  assert.equal(run.state, 'done')
  assert.deepEqual(run.counts, { processed: 450, retried: 450 })
  assert.equal(run.planned, 450)
  assert.equal(run.filter.rule, 'crm')
  assert.equal(run.startedBy, 'ADMIN_TOKEN')
  // Audited: who started it, then one row per batch naming the deliveries it retried.
  const { rows: audit } = await t.testDb.db.pool.query<{
    action: string
    actor: string
    via: string
    ids: number
  }>(
    `SELECT action, actor, via, jsonb_array_length(after -> 'deliveryIds') AS ids FROM audit_log
     WHERE subject_type = 'bulk-run' AND subject_id = $1 ORDER BY id`,
    [run.id],
  )
  assert.deepEqual(
    audit.map((a) => [a.action, a.actor, a.via.replace(/from .*/, 'from')]),
    [
      ['bulk.retry.start', 'ADMIN_TOKEN', 'admin-api from'],
      ['delivery.bulk-retry', 'ADMIN_TOKEN', `bulk run #${run.id}`],
      ['delivery.bulk-retry', 'ADMIN_TOKEN', `bulk run #${run.id}`],
      ['delivery.bulk-retry', 'ADMIN_TOKEN', `bulk run #${run.id}`],
    ],
  )
  assert.deepEqual(
    audit.map((a) => a.ids),
    [null, 200, 200, 50],
  )

  assert.ok((await statesOf(crm)).every((d) => d.state === 'pending' && d.attempts === 0))
  assert.ok(
    (await statesOf(slack)).every((d) => d.state === 'dead'),
    'other rules untouched',
  )
  assert.ok((await statesOf(delivered)).every((d) => d.state === 'delivered'))

  // Again: the crm ones are no longer dead, nothing is retried twice.
  const again = await admin('POST', '/admin/deliveries/bulk-retry', { rule: 'crm' })
  assert.equal(again.statusCode, 200)
  assert.deepEqual((await finished(again.json().id)).counts, { processed: 0, retried: 0 })
})

test('a bulk retry takes at most its cap; the next run takes the rest', async () => {
  await t.testDb.db.pool.query(
    `UPDATE deliveries SET state = 'delivered' WHERE state <> 'delivered'`,
  )
  const ids = await deliveries('hook', 'dead', 5)
  const first = await admin('POST', '/admin/deliveries/bulk-retry', { rule: 'hook', limit: 2 })
  assert.deepEqual((await finished(first.json().id)).counts, { processed: 2, retried: 2 })
  assert.deepEqual(
    (await statesOf(ids)).map((d) => d.state),
    ['pending', 'pending', 'dead', 'dead', 'dead'],
  )
  const rest = await admin('POST', '/admin/deliveries/bulk-retry', {
    rule: 'hook',
    from: '2000-01-01',
    tz: 'Europe/Berlin',
  })
  assert.equal((await finished(rest.json().id)).counts.retried, 3)
  const bad = await admin('POST', '/admin/deliveries/bulk-retry', { event: 'lost' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().fields[0].field, 'event')
})
