import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import {
  checkLedger,
  findLeakedSecrets,
  freshDatabase,
  inParallel,
  report,
  SECRET,
  serverEnv,
} from './harness.js'

// Scenario 8: hostile input that is well signed. Parameters appended after a genuine BitLabs
// signature (or sent in a body beside it), HEAD, unreplaced macros in every syntax networks use,
// and secrets sent in other fields or spelled with other percent-encodings.
const BITLABS_KEY = 'reliability-bitlabs-app-secret'
const VICTIMS = 20
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal macro is what we send
const DOLLAR_BRACE = '${user_id}'
const MACROS = [
  '{user_id}',
  '[USER_ID]',
  '[%USER_ID%]',
  '%%USER%%',
  DOLLAR_BRACE,
  '<USER_ID>',
  '<%USER_ID%>',
  '#user_id#',
  '$user_id$',
  '%user_id%',
  '{{ user_id }}',
  '%7Buser_id%7D', // double-encoded on the wire: %257Buser_id%257D
]
const DECIDING = ['user_id', 'tx_id', 'payout', 'offer_id', 'status']
const FLAGGED = ['click_id', 'sub2', 'sub3', 'sub4', 'sub5', 'ip']

test('signed input: appended parameters, HEAD, macros and secrets in fields move no money', {
  timeout: 180_000,
}, async () => {
  const db = await freshDatabase()
  const dir = await mkdtemp(join(tmpdir(), 'pbr-rel-signed-'))
  const networksFile = join(dir, 'networks.json')
  await writeFile(
    networksFile,
    JSON.stringify({ bitlabs: { preset: 'bitlabs', secrets: [BITLABS_KEY] } }),
  )
  const server = await startServer(serverEnv(db.url, { NETWORKS_FILE: networksFile }))
  // BitLabs' documented scheme, written here: hex HMAC-SHA1(app secret, full URL before &hash=).
  const signed = (path: string) =>
    `${server.url}${path}&hash=${createHmac('sha1', BITLABS_KEY).update(`${server.url}${path}`).digest('hex')}`
  const failures: string[] = []
  const expect = async (name: string, response: Response, status: number, code: string) => {
    const body = await response.text()
    const got = response.headers.get('x-postback-outcome')
    if (response.status !== status || got !== code)
      failures.push(`${name}: ${response.status} ${got} ${body.slice(0, 120)}`)
  }
  try {
    // Victims, each credited 500 by a genuine callback.
    const victims = Array.from({ length: VICTIMS }, (_, i) => ({
      i,
      user: `victim-${i}`,
      tx: `bl-victim-${i}`,
    }))
    await inParallel(victims, 8, async ({ user, tx }) => {
      const response = await fetch(
        signed(`/api/postback/bitlabs?uid=${user}&val=500&tx=${tx}&type=COMPLETE`),
      )
      await expect(`credit ${tx}`, response, 200, 'credited')
    })
    const before = await checkLedger(db.client)

    // Appended after the hash, in several shapes, and in a body: each refused.
    let appended = 0
    await inParallel(victims, 8, async ({ tx, i }) => {
      const own = signed(`/api/postback/bitlabs?uid=attacker&val=1&tx=bl-attacker-${i}`)
      const shapes = [
        `${own}&type=RECONCILIATION&ref=${tx}`,
        `${own}&ref=${tx}&type=RECONCILIATION`,
        `${own}&type=RECONCILIATION&ref=${tx}&hash=${own.split('&hash=')[1]}`,
        `${own}&uid=attacker&val=999999`,
      ]
      for (const url of shapes) {
        appended += 1
        await expect(`appended ${i}`, await fetch(url), 403, 'UNSIGNED_PARAMS')
      }
      appended += 1
      const posted = await fetch(own, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `type=RECONCILIATION&ref=${tx}`,
      })
      await expect(`body ${i}`, posted, 403, 'UNSIGNED_PARAMS')
    })

    // HEAD on a valid postback: 405, nothing recorded.
    const head = await fetch(
      `${server.url}/api/postback?${new URLSearchParams({ secret: SECRET, tx_id: 'head-1', offer_id: 'o', payout: '1', user_id: 'head-user' })}`,
      { method: 'HEAD' },
    )
    await expect('HEAD', head, 405, 'METHOD_NOT_ALLOWED')
    if (head.headers.get('allow') !== 'GET, POST') failures.push('HEAD: no Allow: GET, POST')

    // Macros: refused where they decide a credit; credited with a warning elsewhere.
    const onWire = (macro: string) =>
      macro === '%7Buser_id%7D' ? '%257Buser_id%257D' : encodeURIComponent(macro)
    const base = (tx: string): Record<string, string> => ({
      tx_id: tx,
      offer_id: 'o',
      payout: '1',
      user_id: `m-${tx}`,
    })
    const url = (fields: Record<string, string>, field: string, macro: string) =>
      `${server.url}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}&${field}=${onWire(macro)}`
    const macroCases = DECIDING.flatMap((field) => MACROS.map((macro) => ({ field, macro }))).map(
      (c, i) => ({ ...c, i }),
    )
    await inParallel(macroCases, 8, async ({ field, macro, i }) => {
      const { [field]: _left, ...fields } = base(`macro-refused-${i}`)
      await expect(
        `${field}=${macro}`,
        await fetch(url(fields, field, macro)),
        400,
        'UNREPLACED_MACRO',
      )
    })
    const refusedMacroLedger = await checkLedger(db.client)
    const flaggedCases = FLAGGED.flatMap((field) => MACROS.map((macro) => ({ field, macro }))).map(
      (c, i) => ({ ...c, i }),
    )
    await inParallel(flaggedCases, 8, async ({ field, macro, i }) => {
      await expect(
        `${field}=${macro}`,
        await fetch(url(base(`macro-flagged-${i}`), field, macro)),
        200,
        'credited',
      )
    })
    const { rows: warned } = await db.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM postback_log
       WHERE tx_id LIKE 'macro-flagged-%' AND warnings @> '[{"code":"UNREPLACED_MACRO"}]'`,
    )

    // Secrets in other fields are refused; other spellings of a secret are never stored.
    for (const [field, value] of [
      ['tx_id', SECRET],
      ['sub2', SECRET],
      ['click_id', BITLABS_KEY],
    ]) {
      const fields = { ...base(`secret-${field}`), [field as string]: value as string }
      await expect(
        `secret in ${field}`,
        await fetch(
          `${server.url}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}`,
        ),
        400,
        'SECRET_IN_FIELD',
      )
    }
    const spellings = [
      `%72${SECRET.slice(1)}`,
      [...SECRET].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''),
      [...SECRET].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(''),
    ]
    for (const [i, spelled] of spellings.entries()) {
      const fields = base(`spelled-${i}`)
      await expect(
        `spelled ${i}`,
        await fetch(
          `${server.url}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}&note=${spelled}`,
        ),
        200,
        'credited',
      )
    }

    const after = await checkLedger(db.client)
    const { rows: victimRows } = await db.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM balances WHERE user_id LIKE 'victim-%' AND points = 500`,
    )
    const { rows: logRows } = await db.client.query<{ row: string }>(
      'SELECT row_to_json(l)::text AS row FROM postback_log l',
    )
    const decodedLog = lenientDecode(logRows.map((r) => r.row).join('\n'))
    const leaks = [
      ...(await findLeakedSecrets(db.client, [server.output()], [SECRET, BITLABS_KEY])),
      ...(decodedLog.includes(SECRET) ? ['postback_log, decoded, contains the secret'] : []),
      ...(lenientDecode(server.output()).includes(SECRET)
        ? ['server output, decoded, contains the secret']
        : []),
    ]
    report('signed-input', {
      appendedAfterSignature: appended,
      macroRefused: macroCases.length,
      macroFlagged: flaggedCases.length,
      warnedRows: warned[0]?.n ?? 0,
      secretFields: 3,
      secretSpellings: spellings.length,
      failures: failures.length,
      victimsIntact: victimRows[0]?.n ?? 0,
      leaks: leaks.length,
    })
    assert.deepEqual(failures, [])
    assert.equal(victimRows[0]?.n, VICTIMS, 'no victim lost a point')
    assert.deepEqual(refusedMacroLedger, before, 'refused macros changed nothing')
    assert.equal(after.credits, before.credits + flaggedCases.length + spellings.length)
    assert.equal(after.reversals, 0)
    assert.equal(after.unbalancedUsers, 0)
    assert.equal(warned[0]?.n, flaggedCases.length)
    assert.deepEqual(leaks, [])
  } finally {
    await server.stop()
    await db.drop()
    await rm(dir, { recursive: true, force: true })
  }
})

/** Percent-decoding that never throws: what a reader of the log could decode by hand. */
function lenientDecode(text: string): string {
  return text.replace(/%[0-9a-fA-F]{2}/g, (hex) =>
    String.fromCharCode(Number.parseInt(hex.slice(1), 16)),
  )
}
