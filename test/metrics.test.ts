import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from './helpers/app.js'

const TOKEN = 'metrics-token-0123456789'
let t: TestApp
before(async () => {
  t = await createTestApp({ METRICS_TOKEN: TOKEN })
})
after(() => t.close())

async function scrape() {
  const response = await t.app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain/)
  return response.body
}

function value(body: string, series: string): number {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

test('postbacks are counted by network and outcome, and points by kind', async () => {
  const before = await scrape()
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await t.app.inject(postbackUrl({ tx_id: tx, offer_id: '1', payout: '2.50', user_id: user }))
  await t.app.inject(postbackUrl({ tx_id: tx, offer_id: '1', payout: '2.50', user_id: user }))
  await t.app.inject(
    postbackUrl({ tx_id: tx, offer_id: '1', payout: '2.50', user_id: user, status: 'reversed' }),
  )
  await t.app.inject(`/api/postback/nope?tx_id=${tx}&secret=${SECRET}`)
  await t.app.inject(`/api/postback?tx_id=${tx}&secret=wrong-secret-value-42`)
  const after = await scrape()
  const delta = (series: string) => value(after, series) - value(before, series)
  assert.equal(delta('postback_receiver_postbacks_total{network="default",outcome="credited"}'), 1)
  assert.equal(delta('postback_receiver_postbacks_total{network="default",outcome="duplicate"}'), 1)
  assert.equal(delta('postback_receiver_postbacks_total{network="default",outcome="reversed"}'), 1)
  assert.equal(
    delta('postback_receiver_postbacks_total{network="default",outcome="BAD_SECRET"}'),
    1,
  )
  // An unknown network never becomes a label of its own.
  assert.equal(
    delta('postback_receiver_postbacks_total{network="unknown",outcome="UNKNOWN_NETWORK"}'),
    1,
  )
  assert.doesNotMatch(after, /network="nope"/)
  assert.equal(delta('postback_receiver_points_total{kind="credited",network="default"}'), 250)
  assert.equal(delta('postback_receiver_points_total{kind="reversed",network="default"}'), 250)
  assert.match(after, /postback_receiver_db_pool_connections\{state="total"\}/)
  assert.match(after, /postback_receiver_nodejs_eventloop_lag_seconds/)
  for (const secret of [SECRET, 'wrong-secret-value-42', TOKEN]) assert.ok(!after.includes(secret))
})

test('/metrics needs its token, and is absent without METRICS_TOKEN', async () => {
  assert.equal((await t.app.inject('/metrics')).statusCode, 401)
  assert.equal(
    (
      await t.app.inject({
        url: '/metrics',
        headers: { authorization: 'Bearer wrong-token-123456789' },
      })
    ).statusCode,
    401,
  )
  const plain = await buildAppOn(t.testDb)
  try {
    assert.equal((await plain.inject('/metrics')).statusCode, 404)
  } finally {
    await plain.close()
  }
})

test('group commit reports its batch sizes', async () => {
  const app = await buildAppOn(t.testDb, {
    METRICS_TOKEN: TOKEN,
    GROUP_COMMIT_WINDOW_MS: '20',
    GROUP_COMMIT_LANES: '1',
  })
  try {
    // Ten postbacks in one tick: one window, one batch.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        app.inject(postbackUrl({ tx_id: uniqueTx(), offer_id: '1', payout: '1', user_id: 'gc' })),
      ),
    )
    assert.ok(answers.every((a) => a.statusCode === 200))
    const body = (
      await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
    ).body
    assert.equal(value(body, 'postback_receiver_group_commit_batch_size_count'), 1)
    assert.equal(value(body, 'postback_receiver_group_commit_batch_size_sum'), 10)
    assert.equal(value(body, 'postback_receiver_group_commit_fallbacks_total'), 0)
  } finally {
    await app.close()
  }
})
