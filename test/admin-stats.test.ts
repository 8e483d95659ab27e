import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { adminHeaders, createTestApp, postbackUrl, type TestApp, uniqueTx } from './helpers/app.js'

// Each test file has its own database, so these totals are this file's alone.
let t: TestApp
before(async () => {
  t = await createTestApp()
  const send = (fields: Record<string, string>) => t.app.inject(postbackUrl(fields))
  await send({ tx_id: uniqueTx(), offer_id: 'A', payout: '1.25', user_id: 'u1' })
  await send({ tx_id: uniqueTx(), offer_id: 'A', payout: '0.75', user_id: 'u2' })
  await send({ tx_id: uniqueTx(), offer_id: 'B', payout: '5', user_id: 'u1', status: 'pending' })
  const reversed = uniqueTx()
  await send({ tx_id: reversed, offer_id: 'B', payout: '2', user_id: 'u3' })
  await send({ tx_id: reversed, offer_id: 'B', payout: '2', user_id: 'u3', status: 'reversed' })
})
after(() => t.close())

async function stats(query: string) {
  const response = await t.app.inject({ url: `/admin/stats${query}`, headers: adminHeaders })
  return { status: response.statusCode, body: response.json() }
}

test('stats by network count each status and sum approved payout and points exactly', async () => {
  const { status, body } = await stats('')
  assert.equal(status, 200)
  assert.deepEqual(body.rows, [
    {
      key: 'default',
      conversions: 4,
      approved: 2,
      pending: 1,
      held: 0,
      rejected: 0,
      reversed: 1,
      approvedPayout: '2',
      approvedPoints: 200,
    },
  ])
})

test('stats by offer and by local day; a period that excludes today is empty', async () => {
  const byOffer = await stats('?by=offer')
  assert.deepEqual(
    byOffer.body.rows.map((r: { key: string; conversions: number }) => [r.key, r.conversions]),
    [
      ['default / A', 2],
      ['default / B', 2],
    ],
  )
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(
    new Date(),
  )
  const byDay = await stats('?by=day&tz=Pacific/Kiritimati&from=2000-01-01')
  assert.deepEqual(
    byDay.body.rows.map((r: { key: string }) => r.key),
    [today],
  )
  assert.deepEqual((await stats('?from=2000-01-01&to=2000-01-02')).body.rows, [])
})

test('bad stats parameters are 400s naming the field', async () => {
  const badZone = await stats('?tz=Mars/Olympus')
  assert.equal(badZone.status, 400)
  assert.match(badZone.body.message, /^tz: must be an IANA time zone/)
  assert.equal((await stats('?from=yesterday')).status, 400)
  assert.equal((await stats('?by=user')).status, 400)
})
