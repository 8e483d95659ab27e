import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { renderDelivery } from '../../src/delivery/render.js'
import { DeliveryRules, parseDeliveryRules, reloadDeliveryRules } from '../../src/delivery/rules.js'
import { createSender } from '../../src/delivery/send.js'
import { blockedAddressReason } from '../../src/delivery/ssrf.js'
import { capturingLogger } from '../helpers/logging.js'

describe('delivery rules file', () => {
  test('names every problem with its rule and field', () => {
    assert.throws(
      () =>
        parseDeliveryRules(
          {
            rules: [
              { name: 'a', on: ['credited'], url: 'https://x.example/?t={txid}' },
              { name: 'b', on: ['paid'], url: 'ftp://x.example/' },
              { name: 'c', on: ['credited'], url: 'https://x.example/', extra: 1 },
            ],
          },
          25,
        ),
      (error: Error) => {
        assert.match(error.message, /rule a: url: unknown macro \{txid\}; known: \{event\}/)
        assert.match(error.message, /rule b: on\.0: /)
        assert.match(error.message, /rule b: url: expected an http\(s\) URL/)
        assert.match(error.message, /rule c: .*extra/)
        return true
      },
    )
    assert.throws(() => parseDeliveryRules([], 25), /expected \{ "rules": \[ ... \] \}/)
  })

  test('matches by event and network; defaults fill the rest', () => {
    const rules = new DeliveryRules(
      parseDeliveryRules(
        {
          rules: [
            { name: 'all', on: ['credited'], url: 'https://a.example/' },
            {
              name: 'adgem-only',
              on: ['reversed'],
              networks: ['adgem'],
              url: 'https://b.example/',
            },
          ],
        },
        25,
      ),
    )
    assert.deepEqual(
      rules.matching('adgem', 'reversed').map((r) => r.name),
      ['adgem-only'],
    )
    assert.deepEqual(rules.matching('cpx', 'reversed'), [])
    const all = rules.get('all')
    assert.equal(all?.method, 'GET')
    assert.equal(all?.maxAttempts, 25)
    assert.equal(all?.timeoutMs, 10_000)
  })
})

describe('rendering a delivery', () => {
  const job = {
    id: '42',
    event: 'credited',
    attempt: 1,
    data: { tx_id: 'tx 1/2', payout: '0.290000', points: '29', sub1: 'line\r\nX-Evil: 1' },
  }

  test('payout share is exact and macros are URL-encoded', () => {
    const [rule] = parseDeliveryRules(
      {
        rules: [
          {
            name: 'share',
            on: ['credited'],
            url: 'https://t.example/pb?tx={tx_id}&p={payout}&full={full_payout}',
            payoutShare: '0.7',
            headers: { 'X-Sub': '{sub1}' },
          },
        ],
      },
      25,
    )
    assert.ok(rule)
    const request = renderDelivery(rule, job)
    // 0.29 × 0.7 = 0.203 exactly (floating point says 0.20299999999999999).
    assert.equal(request.url, 'https://t.example/pb?tx=tx%201%2F2&p=0.203&full=0.29')
    assert.equal(request.headers['x-sub'], 'line X-Evil: 1', 'no header injection')
    assert.equal(request.headers['x-delivery-id'], '42')
  })
})

describe('SSRF guard', () => {
  const refused = [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '203.0.113.7', // documentation (TEST-NET-3)
    '198.18.0.1', // benchmarking
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:0:7f00:1', // IPv4-translated 127.0.0.1
    '2001:db8::1', // documentation
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
  ]
  // Ranges that embed an IPv4 address: the destination is that address.
  const embedded = [
    ['64:ff9b::7f00:1', '127.0.0.1'], // NAT64
    ['64:ff9b::127.0.0.1', '127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254'],
    ['64:ff9b::a00:1', '10.0.0.1'],
    ['2002:7f00:1::', '127.0.0.1'], // 6to4
    ['2002:a9fe:a9fe::1', '169.254.169.254'],
    ['2002:c0a8:101:1::1', '192.168.1.1'],
  ] as const
  const refusedWhole = [
    ['::7f00:1', 'IPv4-compatible'], // ::/96, deprecated: refused whatever it embeds
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::808:808', 'IPv4-compatible'],
    ['64:ff9b:1::a00:1', 'rfc6052'], // local-use NAT64
  ] as const
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 to a public address
    '2002:808:808::1', // 6to4 of a public address
  ]
  for (const address of refused) {
    test(`refuses ${address}`, () => {
      assert.match(blockedAddressReason(address) ?? '', /DELIVERY_ALLOW_PRIVATE/)
    })
  }
  for (const [address, v4] of embedded) {
    test(`refuses ${address}: it is ${v4}`, () => {
      const reason = blockedAddressReason(address) ?? ''
      assert.match(reason, /DELIVERY_ALLOW_PRIVATE/)
      assert.ok(reason.includes(`(IPv4 ${v4})`), reason)
    })
  }
  for (const [address, range] of refusedWhole) {
    test(`refuses ${address} (${range})`, () => {
      assert.ok((blockedAddressReason(address) ?? '').includes(`(${range})`))
    })
  }
  for (const address of allowed) {
    test(`allows ${address}`, () => {
      assert.equal(blockedAddressReason(address), null)
    })
  }

  test('a literal NAT64 address of loopback is refused before any connection', async () => {
    const sender = createSender({ allowPrivate: false })
    try {
      const result = await sender.send(
        { method: 'GET', url: 'http://[64:ff9b::7f00:1]:9/x', headers: {}, body: undefined },
        1000,
        new AbortController().signal,
      )
      assert.equal(result.permanent, true)
      assert.match(result.error ?? '', /64:ff9b::7f00:1 \(IPv4 127\.0\.0\.1\) is loopback/)
    } finally {
      await sender.close()
    }
  })
})

test('SIGHUP reload: a good file replaces the rules, a broken one keeps those running', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbr-rules-'))
  try {
    const file = join(dir, 'deliveries.json')
    const config = { DELIVERY_RULES_FILE: file, DELIVERY_MAX_ATTEMPTS: 25, DELIVERY_LEASE: 120_000 }
    const rule = (name: string) => ({ name, on: ['credited'], url: 'https://app.example.com/h' })
    const rules = new DeliveryRules()
    const { logger, lines } = capturingLogger()

    await writeFile(file, JSON.stringify({ rules: [rule('one'), rule('two')] }))
    await reloadDeliveryRules(rules, config, logger)
    assert.equal(rules.size, 2)

    await writeFile(file, '{ "rules": [ broken')
    await reloadDeliveryRules(rules, config, logger)
    assert.equal(rules.size, 2, 'the running rules stay')
    assert.match(lines(), /delivery rules reloaded: 2 rule\(s\)/)
    assert.match(lines(), /delivery rules not reloaded, keeping the previous ones: /)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
