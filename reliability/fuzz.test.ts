import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type pg from 'pg'
import { type RunningServer, startServer } from '../test/helpers/server.js'
import { generateCases } from './fuzz-cases.js'
import { specialCases } from './fuzz-targeted.js'
import { KNOWN_OFFER, KNOWN_TX, KNOWN_USER } from './fuzz-values.js'
import { describeCase, type FuzzCase, requestBody, requestHead } from './fuzz-wire.js'
import {
  checkLedger,
  type FreshDatabase,
  freshDatabase,
  inParallel,
  percentile,
  report,
  SECRET,
  sendPostback,
  serverEnv,
} from './harness.js'
import { type RawResponse, sendRaw } from './raw-http.js'

// Scenario 4, fuzzing: 10,000+ generated hostile requests against one real server process on a
// fresh database. None may be answered 5xx or 200, time out, or move money; every postback answer
// names a documented outcome, and every refusal is in postback_log. Scenario 5, secrets: neither
// the secret nor any wrong secret sent reaches the service log, the postback log or an answer.
// FUZZ_SEED and FUZZ_RUNS replay or widen a run; the seed is printed.

const SEED = Number(process.env.FUZZ_SEED || 20_260_417)
const RUNS = Number(process.env.FUZZ_RUNS || 10_000)
const CONCURRENCY = 16
const TIMEOUT_MS = 10_000

/** The outcomes and codes docs/POSTBACKS.md documents for X-Postback-Outcome: its "Answers" tables. */
function documentedCodes(): Set<string> {
  const page = readFileSync(new URL('../docs/POSTBACKS.md', import.meta.url), 'utf8')
  const section = page.split(/^## Answers$/m)[1]?.split(/^#{1,2} /m)[0] ?? ''
  const codes = new Set<string>()
  for (const line of section.split('\n')) {
    const column = line.startsWith('|') ? (line.split('|')[2] ?? '') : ''
    for (const match of column.matchAll(/`([A-Za-z_]+)`/g)) if (match[1]) codes.add(match[1])
  }
  return codes
}
const DOCUMENTED_CODES = documentedCodes()
/**
 * Whether an answer without X-Postback-Outcome comes from before any postback route: Node's
 * HTTP parser (400 without a code for a broken request line, header or framing; 414/431 for an
 * oversized head; 417 for an unknown Expect; src/app.ts's clientErrorHandler gives these a JSON
 * body: 400 BAD_REQUEST, 431 HEADERS_TOO_LARGE), Fastify's router (400 BAD_URL, 404 NOT_FOUND), or
 * a method or path no postback route has (Fastify still parses its body: 400/413/415 with a code).
 */
function isPreRoute(r: Result): boolean {
  // src/app.ts answers what Node's parser refuses: 400 BAD_REQUEST, 431 HEADERS_TOO_LARGE, 408.
  if (
    r.status === 400 &&
    (r.bodyCode === null || r.bodyCode === 'BAD_URL' || r.bodyCode === 'BAD_REQUEST')
  )
    return true
  if (r.status === 408 && r.bodyCode === 'REQUEST_TIMEOUT') return true
  if (r.status === 404 && (r.bodyCode === 'NOT_FOUND' || (r.c.method === 'HEAD' && r.body === '')))
    return true
  if ([414, 417, 431].includes(r.status)) return true
  const path = r.c.target.split('?')[0] ?? ''
  const routeless =
    !['GET', 'POST', 'HEAD'].includes(r.c.method) ||
    !/^(https?:\/\/[^/]+)?\/api\/postback(\/[^/]*)?$/.test(path)
  return routeless && [400, 404, 413, 415].includes(r.status) && r.bodyCode !== null
}
const WRONG_SECRET = /wrong-secret-\d+-xyz/

type Result = {
  c: FuzzCase
  status: number
  outcome: string | null
  bodyCode: string | null
  body: string
  error: string | null
  ms: number
}

let db: FreshDatabase
let server: RunningServer
let port = 0
let results: Result[] = []

before(async () => {
  db = await freshDatabase()
  server = await startServer(serverEnv(db.url))
  port = Number(new URL(server.url).port)
})

after(async () => {
  await server?.stop()
  await db?.drop()
})

async function viaFetch(c: FuzzCase): Promise<RawResponse> {
  const started = performance.now()
  try {
    const response = await fetch(`${server.url}${c.target}`, {
      method: c.method,
      headers: c.headers.map(([name, value]): [string, string] => [name, value]),
      ...(c.body ? { body: new Uint8Array(c.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const body = await response.text()
    return {
      status: response.status,
      headers: new Map(response.headers),
      body,
      error: null,
      ms: performance.now() - started,
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    return {
      status: 0,
      headers: new Map(),
      body: '',
      error: cause?.code ?? (error as Error).name,
      ms: performance.now() - started,
    }
  }
}

async function send(c: FuzzCase): Promise<Result> {
  const response =
    c.transport === 'fetch'
      ? await viaFetch(c)
      : await sendRaw(port, requestHead(c), requestBody(c), {
          pieces: c.slow ? 5 : 1,
          pieceDelayMs: c.slow ? 220 : 0,
          halfClose: c.framing === 'truncated',
          timeoutMs: TIMEOUT_MS,
          head: c.method === 'HEAD',
        })
  return {
    c,
    status: response.status,
    outcome: response.headers.get('x-postback-outcome') ?? null,
    bodyCode: codeInBody(response.body),
    body: response.body,
    error: response.error,
    ms: response.ms,
  }
}

/** The code a body names: JSON `code`, or the text answer's "CODE: message". */
function codeInBody(body: string): string | null {
  if (body.startsWith('{')) {
    try {
      const code = (JSON.parse(body) as { code?: unknown }).code
      return typeof code === 'string' ? code : null
    } catch {
      return null
    }
  }
  return /^([A-Z_]+): /.exec(body)?.[1] ?? null
}

async function moneySnapshot(client: pg.Client) {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM conversions)::int AS conversions,
            (SELECT count(*) FROM ledger_entries)::int AS ledger_entries,
            (SELECT count(*) FROM balances)::int AS balances,
            (SELECT COALESCE(sum(points), 0) FROM balances)::text AS total_points,
            (SELECT points FROM balances WHERE user_id = $1)::text AS known_user_points`,
    [KNOWN_USER],
  )
  return rows[0] as Record<string, number | string | null>
}

async function outcomeCounts(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ outcome: string; n: number }>(
    'SELECT outcome, count(*)::int AS n FROM postback_log GROUP BY outcome',
  )
  return new Map(rows.map((row) => [row.outcome, row.n]))
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}
const formatCounts = (counts: Map<string, number>) =>
  [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name}:${n}`)
    .join(',')

/** JSON log lines of the server at or above `level` (pino: 40 warn, 50 error, 60 fatal). */
function logLines(output: string, level: number): string[] {
  return output.split('\n').filter((line) => {
    const match = /^\{"level":(\d+)/.exec(line)
    return match !== null && Number(match[1]) >= level
  })
}

test('docs/POSTBACKS.md documents the outcome codes this scenario checks against', () => {
  for (const code of [
    'credited',
    'duplicate',
    'MISSING_FIELD',
    'INVALID_FIELD',
    'BAD_SECRET',
    'UNKNOWN_NETWORK',
  ]) {
    assert.ok(DOCUMENTED_CODES.has(code), `${code} in docs/POSTBACKS.md's Answers tables`)
  }
})

test('fuzzing: 10,000 generated hostile requests get no 5xx, no 200, no hang, and move no money', async () => {
  // One real credit first, so "no balance change" has a balance to keep.
  const seeded = await sendPostback(server.url, {
    tx_id: KNOWN_TX,
    offer_id: KNOWN_OFFER,
    payout: '1.50',
    user_id: KNOWN_USER,
  })
  assert.equal(seeded.status, 200, seeded.body)
  assert.equal(seeded.outcome, 'credited')
  const moneyBefore = await moneySnapshot(db.client)
  assert.equal(moneyBefore.known_user_points, '150')
  const logBefore = await outcomeCounts(db.client)
  const outputStart = server.output().length

  const generated = generateCases(SEED, RUNS)
  const cases = [...specialCases(), ...generated]
  process.stdout.write(
    `fuzz seed=${SEED} (replay: FUZZ_SEED=${SEED}) generated=${generated.length} targeted=${cases.length - generated.length}\n`,
  )
  const started = performance.now()
  results = await inParallel(cases, CONCURRENCY, send)
  const durationMs = performance.now() - started

  // Per-answer checks.
  const violations = new Map<string, string[]>()
  const flag = (what: string, r: Result, detail = '') => {
    const list = violations.get(what) ?? []
    list.push(`${describeCase(r.c)} -> ${r.status} ${r.outcome ?? r.error ?? ''} ${detail}`.trim())
    violations.set(what, list)
  }
  for (const r of results) {
    if (r.status === 0) flag('no answer (timeout or connection error)', r)
    else if (r.status >= 500) flag('status >= 500', r, r.body.slice(0, 200))
    else if (r.status >= 200 && r.status < 300) flag('status 2xx to a hostile request', r)
    if (r.status === 0) continue
    if (r.outcome !== null) {
      if (!DOCUMENTED_CODES.has(r.outcome)) flag('undocumented X-Postback-Outcome', r)
      if (r.body !== '' && r.bodyCode !== r.outcome)
        flag('X-Postback-Outcome and body disagree', r, `body code ${r.bodyCode}`)
    } else if (!isPreRoute(r)) {
      flag(
        'answer without X-Postback-Outcome that is not a pre-route refusal',
        r,
        r.body.slice(0, 120),
      )
    }
    const expected = r.c.expect
    const parserRefused =
      expected?.parserMayRefuse === true && r.outcome === null && r.status === 400
    if (expected && !expected.statuses.includes(r.status))
      flag('unexpected status', r, `expected ${expected.statuses.join('/')}`)
    else if (
      expected?.code &&
      r.status === expected.statuses[0] &&
      r.outcome !== expected.code &&
      !parserRefused
    ) {
      flag('unexpected code', r, `expected ${expected.code}`)
    }
  }

  // Every refusal is stored: per code, the log grew by the number of answers with that code.
  // The one allowance: a request whose body framing broke after its head (bad chunk, truncated)
  // may be refused and stored by the route while Node answers the client 400 itself.
  const logAfter = await outcomeCounts(db.client)
  const answered = countBy(
    results.filter((r) => r.outcome !== null),
    (r) => r.outcome ?? '',
  )
  // A request whose framing Node rejects after the route began (answered 400 BAD_REQUEST by the
  // clientErrorHandler, or not at all) may still have been refused and stored by the route.
  const brokenUnanswered = results.filter(
    (r) =>
      r.outcome === null && (r.c.brokenBody || (r.status === 400 && r.bodyCode === 'BAD_REQUEST')),
  ).length
  const logMismatches: string[] = []
  let storedUnanswered = 0
  for (const code of new Set([...answered.keys(), ...logAfter.keys()])) {
    // Neither is stored by design: a flood (429), and HEAD (405, answered before the route).
    if (code === 'RATE_LIMITED' || code === 'METHOD_NOT_ALLOWED') continue
    const stored = (logAfter.get(code) ?? 0) - (logBefore.get(code) ?? 0)
    const extra = stored - (answered.get(code) ?? 0)
    if (extra < 0)
      logMismatches.push(`${code}: answered ${answered.get(code) ?? 0}, stored ${stored}`)
    else storedUnanswered += extra
  }
  if (storedUnanswered > brokenUnanswered) {
    logMismatches.push(
      `${storedUnanswered} rows without an answer carrying their code; only ${brokenUnanswered} broken-body requests can explain that`,
    )
  }

  const moneyAfter = await moneySnapshot(db.client)
  const ledger = await checkLedger(db.client)
  const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
    (response) => response.status,
    () => 0,
  )
  const runOutput = server.output().slice(outputStart)
  const errorLines = logLines(runOutput, 50)

  const byClass = countBy(results, (r) =>
    r.status === 0 ? 'none' : `${Math.floor(r.status / 100)}xx`,
  )
  const preRoute = countBy(
    results.filter((r) => r.status !== 0 && r.outcome === null),
    (r) => `${r.status}_${r.bodyCode ?? (r.status === 400 ? 'HTTP_PARSER' : 'NONE')}`,
  )
  report('fuzz', {
    seed: SEED,
    requests: results.length,
    generated: generated.length,
    raw: results.filter((r) => r.c.transport === 'raw').length,
    fetch: results.filter((r) => r.c.transport === 'fetch').length,
    correct_secret: results.filter((r) => r.c.carriesSecret).length,
    '2xx': byClass.get('2xx') ?? 0,
    '4xx': byClass.get('4xx') ?? 0,
    '5xx': byClass.get('5xx') ?? 0,
    no_answer: byClass.get('none') ?? 0,
    distinct_codes: answered.size,
    codes: formatCounts(answered),
    pre_route: formatCounts(preRoute),
    log_rows_added: [...logAfter].reduce(
      (sum, [code, n]) => sum + n - (logBefore.get(code) ?? 0),
      0,
    ),
    log_rows_broken_body: `${storedUnanswered}/${brokenUnanswered}`,
    balance_total: `${moneyBefore.total_points}->${moneyAfter.total_points}`,
    p50_ms: percentile(
      results.map((r) => r.ms),
      50,
    ),
    p99_ms: percentile(
      results.map((r) => r.ms),
      99,
    ),
    duration_ms: Math.round(durationMs),
    rps: Math.round(results.length / (durationMs / 1000)),
  })

  const summary = [...violations]
    .map(([what, list]) => `${what}: ${list.length}\n    ${list.slice(0, 12).join('\n    ')}`)
    .join('\n')
  assert.equal(violations.size, 0, `violations:\n${summary}`)
  assert.deepEqual(logMismatches, [], 'each refusal code is stored as often as it was answered')
  assert.deepEqual(moneyAfter, moneyBefore, 'no balance, conversion or ledger entry changed')
  assert.equal(ledger.unbalancedUsers, 0)
  assert.equal(ledger.conversions, 1)
  assert.equal(ledger.credits, 1)
  assert.equal(server.child.exitCode, null, 'the server process is still running')
  assert.equal(server.child.signalCode, null, 'the server process is still running')
  assert.equal(ready, 200, '/readyz answers 200 after the run')
  assert.deepEqual(errorLines, [], 'the server logged no errors')
  assert.ok(durationMs < 90_000, `the run took ${Math.round(durationMs)} ms`)
})

test('secrets: neither the secret nor any wrong secret sent is in the service log, postback_log or an answer', async () => {
  assert.ok(results.length > 0, 'the fuzzing scenario ran first')
  const wrongSent = new Set(results.flatMap((r) => r.c.wrongSecrets))
  const withSecret = results.filter((r) => r.c.carriesSecret).length
  assert.ok(wrongSent.size > 1000, `wrong secrets sent: ${wrongSent.size}`)
  assert.ok(withSecret > 1000, `requests with the correct secret: ${withSecret}`)

  const leaks = (text: string) => text.includes(SECRET) || WRONG_SECRET.test(text)
  const outputLeaks = server.output().split('\n').filter(leaks)
  const { rows } = await db.client.query<{ row: string }>(
    'SELECT row_to_json(l)::text AS row FROM postback_log l ORDER BY id',
  )
  const rowLeaks = rows.filter((row) => leaks(row.row))
  const answerLeaks = results.filter((r) => leaks(r.body))
  const redactedRows = rows.filter((row) => row.row.includes('[REDACTED]')).length

  report('fuzz-secrets', {
    wrong_secrets_sent: wrongSent.size,
    requests_with_secret: withSecret,
    log_rows: rows.length,
    log_rows_redacted: redactedRows,
    output_lines: server.output().split('\n').length,
    leaks_output: outputLeaks.length,
    leaks_postback_log: rowLeaks.length,
    leaks_answers: answerLeaks.length,
  })
  assert.deepEqual(outputLeaks.slice(0, 5), [], 'the service log holds no secret')
  assert.deepEqual(
    rowLeaks.slice(0, 5).map((row) => row.row.slice(0, 300)),
    [],
    'postback_log holds no secret',
  )
  assert.deepEqual(
    answerLeaks.slice(0, 5).map((r) => `${describeCase(r.c)} -> ${r.body.slice(0, 200)}`),
    [],
    'no answer echoes a secret',
  )
  assert.ok(redactedRows > 1000, 'the secrets that came were stored as [REDACTED]')
})

// Findings the fuzzing turned up (fixed): an abandoned body is not a database outage, and a
// secret sent under another name is redacted everywhere.

test('when a client abandons its body, the service does not report a database outage', {}, async () => {
  const outputStart = server.output().length
  const { rows: top } = await db.client.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM postback_log',
  )
  const head = Buffer.from(
    'POST /api/postback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n',
  )
  const answer = await sendRaw(port, head, Buffer.from('tx_id=abandoned'), { halfClose: true })
  assert.equal(answer.status, 400, 'Node answers the truncated request itself')
  await delay(300)
  const during = server.output().slice(outputStart)
  assert.doesNotMatch(during, /DATABASE_UNAVAILABLE/, 'the database was up the whole time')
  const { rows } = await db.client.query<{ outcome: string }>(
    'SELECT outcome FROM postback_log WHERE id > $1',
    [top[0]?.id ?? '0'],
  )
  assert.equal(rows.length, 1, 'the abandoned request is in postback_log')
  assert.ok(
    DOCUMENTED_CODES.has(rows[0]?.outcome ?? ''),
    `stored as ${rows[0]?.outcome}, a documented code`,
  )
})

test('when the secret value arrives in a field that is not the secret, it is redacted everywhere', {}, async () => {
  const outputStart = server.output().length
  const { rows: top } = await db.client.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM postback_log',
  )
  const targets = [
    `/api/postback?tx_id=${SECRET}&offer_id=o&payout=NaN&secret=wrong-secret-1-xyz`,
    `/api/postback?network=${SECRET}`,
    `/api/postback/${SECRET}`,
    `/api/postback?tx_id=%7B${SECRET}%7D&offer_id=o&payout=1&secret=wrong-secret-2-xyz`,
  ]
  const answers = await Promise.all(
    targets.map((target) => fetch(`${server.url}${target}`).then((response) => response.text())),
  )
  const { rows } = await db.client.query<{ row: string }>(
    'SELECT row_to_json(l)::text AS row FROM postback_log l WHERE id > $1',
    [top[0]?.id ?? '0'],
  )
  assert.equal(rows.length, targets.length)
  assert.deepEqual(
    rows.filter((row) => row.row.includes(SECRET)).map((row) => row.row.slice(0, 300)),
    [],
    'postback_log',
  )
  assert.deepEqual(
    answers.filter((text) => text.includes(SECRET)),
    [],
    'answers',
  )
  assert.deepEqual(
    server
      .output()
      .slice(outputStart)
      .split('\n')
      .filter((line) => line.includes(SECRET)),
    [],
    'service log',
  )
})
