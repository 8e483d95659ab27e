import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { PRESETS } from '../../src/networks/presets/index.js'
import { buildProfile, loadNetworksFile } from '../../src/networks/profile.js'
import { testConfig } from '../helpers/database.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbr-networks-'))
})
after(() => rm(dir, { recursive: true, force: true }))

async function load(content: unknown) {
  const path = join(dir, `networks-${Math.random()}.json`)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return loadNetworksFile(path, testConfig())
}

test('a preset plus its secret is a whole profile; overrides replace single fields', async () => {
  const [kiwi] = await load({
    kiwiwall: {
      preset: 'kiwiwall',
      secrets: ['kiwi-secret-1'],
      answers: { success: { status: 200, body: 'ok' } },
    },
  })
  assert.ok(kiwi)
  assert.equal(kiwi.name, 'kiwiwall')
  assert.equal(kiwi.preset, 'kiwiwall')
  assert.deepEqual(kiwi.params.tx_id, ['trans_id'])
  assert.equal(kiwi.signature.kind, 'digest_template')
  assert.deepEqual(kiwi.answers.success, { status: 200, body: 'ok' })
  assert.equal(kiwi.negativeAmountMeansReversal, true)
})

test('every problem in the file is reported, naming the network and the field', async () => {
  await assert.rejects(
    load({
      tapjoy: { preset: 'tapjoy' },
      other: { preset: 'nope', secrets: ['long-enough'] },
      bad: { secrets: ['long-enough'], params: { tx_id: 5 } },
      typo: { secrets: ['long-enough'], sekrets: [] },
      ips: { secrets: ['long-enough'], allowedIps: ['300.1.1.1'] },
      default: { secrets: ['long-enough'] },
      'Bad Name': { secrets: ['long-enough'] },
    }),
    (error: Error) => {
      const lines = error.message.split('\n')
      assert.deepEqual(lines.map((line) => line.replace(/:.*/, '')).sort(), [
        'network "Bad Name"',
        'network "bad"',
        'network "default" is configured by the environment (POSTBACK_SECRET, ...), not NETWORKS_FILE',
        'network "ips"',
        'network "other"',
        'network "tapjoy"',
        'network "typo"',
      ])
      assert.match(
        error.message,
        /network "tapjoy": secrets: needs at least one secret for its digest_template signature/,
      )
      assert.match(error.message, /network "other": unknown preset "nope" \(known: .*kiwiwall.*\)/)
      assert.match(error.message, /network "bad": params\.tx_id: /)
      assert.match(error.message, /network "typo": profile: .*sekrets/)
      assert.match(
        error.message,
        /network "ips": allowedIps: "300\.1\.1\.1" is not an IP address or CIDR/,
      )
      return true
    },
  )
})

test('a file that is not JSON is named with the parser error', async () => {
  await assert.rejects(load('{ not json'), /^Error: NETWORKS_FILE .*networks-.*\.json: /)
})

test('no network reads one parameter into two fields (a default name given elsewhere is dropped)', () => {
  for (const name of Object.keys(PRESETS)) {
    const profile = buildProfile(name, { preset: name, secrets: ['secret-123'] }, testConfig())
    const readBy = new Map<string, string>()
    for (const [field, names] of Object.entries(profile.params)) {
      for (const param of names) {
        assert.ok(
          !readBy.has(param),
          `${name}: ${param} is read as ${readBy.get(param)} and ${field}`,
        )
        readBy.set(param, field)
      }
    }
  }
  // A network of one's own whose reward parameter is named like the default currency field.
  const own = buildProfile(
    'points-only',
    { secrets: ['secret-123'], params: { reward: 'currency' }, pointsFrom: 'reward' },
    testConfig(),
  )
  assert.deepEqual([own.params.reward, own.params.currency], [['currency'], []])
  assert.deepEqual(own.params.offer_id, ['offer_id'], 'other default names stay')
})
