import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { markdownFiles, refreshCodeBlocks, renderTable, TABLES } from '../../scripts/codes-doc.js'
import { escapeHtml } from '../../src/dashboard/html.js'
import { CODES, codesOn, type ErrorCode, forNetwork } from '../../src/http/codes.js'
import { errorBody, HttpError } from '../../src/http/errors.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { DOCTOR_CODES } from '../../src/operations/doctor/diagnose.js'
import { runDoctor } from '../../src/operations/doctor/run.js'
import { ADMIN_TOKEN, buildAppOn, postbackUrl, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'

// The error-code registry (src/http/codes.ts) is the one place a code's status, title and
// advice are written. These tests fail when code in src/ answers a code it does not have, when
// the docs' tables drift from it, or when the dashboard, doctor or OpenAPI document say
// something else than it does about refusals the service really stored.

const ROOT = join(import.meta.dirname, '..', '..')
const ALL = Object.keys(CODES) as ErrorCode[]

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

// Places a literal is a code the service answers, stores or compares an answer against.
const CODE_SITES = [
  /new HttpError\(\s*'([A-Z][A-Z_]*)'/g,
  /\bcode:\s*'([A-Z][A-Z_]*)'/g,
  /\b(?:code|outcome)\s*[!=]==\s*'([A-Z][A-Z_]*)'/g,
  /'x-postback-outcome',\s*'([A-Z][A-Z_]*)'/g,
  /'([A-Z][A-Z_]*)'\s+satisfies ErrorCode/g,
]

// Node's, undici's and Fastify's own error codes, compared against where they are caught.
const PLATFORM = /^(E[A-Z]+|EAI_[A-Z]+|ERR_\w+|UND_ERR_\w+|HPE_\w+|FST_\w+)$/

test('every code src/ throws, answers or compares against is in the registry, and every registered code is used', async () => {
  const found = new Map<string, string>()
  const used = new Set<string>()
  for (const file of await sourceFiles(join(ROOT, 'src'))) {
    if (file.endsWith(join('http', 'codes.ts'))) continue
    const text = await readFile(file, 'utf8')
    // doctor's findings have codes of their own (DOCTOR_CODES), documented in docs/NETWORKS.md.
    const own: readonly string[] = file.includes(join('operations', 'doctor')) ? DOCTOR_CODES : []
    for (const site of CODE_SITES)
      for (const match of text.matchAll(site)) {
        const code = match[1] as string
        if (!own.includes(code) && !PLATFORM.test(code)) found.set(code, file)
      }
    for (const code of ALL) if (text.includes(`'${code}'`)) used.add(code)
  }
  assert.ok(found.size >= 25, `the scan found only ${[...found.keys()].join(', ')}`)
  const unknown = [...found].filter(([code]) => !(code in CODES))
  assert.deepEqual(unknown, [], 'codes (and where) that are not in src/http/codes.ts')
  assert.deepEqual(
    ALL.filter((code) => !used.has(code)),
    [],
    'registered codes nothing in src/ answers',
  )
})

// Type-checked by `npm run check`: an unknown code does not compile, nor does a status.
export function unknownCodesDoNotCompile() {
  // @ts-expect-error not a registered code
  void new HttpError('NO_SUCH_CODE', 'never')
  // @ts-expect-error the status comes from the registry, it is not passed
  void new HttpError(400, 'INVALID_BODY', 'never')
}

test("an HttpError's status is its code's, and every status has its reason phrase", () => {
  for (const code of ALL) {
    const error = new HttpError(code, 'm')
    assert.equal(error.statusCode, CODES[code].status, code)
    assert.notEqual(errorBody(error).error, 'Error', `no reason phrase for ${CODES[code].status}`)
  }
})

test("the docs' code tables are the registry's (run `npm run docs:codes` after changing it)", async () => {
  const present = new Set<string>()
  for (const file of await markdownFiles(ROOT)) {
    const text = await readFile(join(ROOT, file), 'utf8')
    for (const table of TABLES) if (text.includes(`<!-- codes:${table} -->`)) present.add(table)
    assert.equal(text, refreshCodeBlocks(text), `${file}: a code table differs from the registry`)
  }
  assert.deepEqual([...present].sort(), [...TABLES].sort(), 'every table is somewhere in the docs')
  const postback = renderTable('postback')
  for (const code of codesOn('postback')) assert.ok(postback.includes(`| \`${code}\` |`), code)
  // Outside code spans, nothing a markdown renderer would take for HTML or a placeholder.
  const prose = renderTable('all').replace(/`[^`]*`/g, '')
  assert.doesNotMatch(prose, /[<>]|\{network\}/)
})

test('a drifted table is put back by the generator', () => {
  const drifted = '# x\n<!-- codes:postback -->\n| old |\n<!-- /codes:postback -->\n'
  const fresh = refreshCodeBlocks(drifted)
  assert.notEqual(fresh, drifted)
  assert.equal(refreshCodeBlocks(fresh), fresh)
  assert.throws(() => refreshCodeBlocks('<!-- codes:nope -->\n<!-- /codes:nope -->'), /nope/)
})

// --- What operators see about refusals the service really stored --------------------------

const KIWI_KEY = 'kiwiwall-codes-key'
let testDb: TestDatabase
let app: FastifyInstance
let dir: string
let cookie: string

before(async () => {
  testDb = await createTestDatabase()
  dir = await mkdtemp(join(tmpdir(), 'pbr-codes-'))
  const networksFile = join(dir, 'networks.json')
  await writeFile(
    networksFile,
    JSON.stringify({ acme: { preset: 'kiwiwall', secrets: [KIWI_KEY] } }),
  )
  app = await buildAppOn(testDb, { NETWORKS_FILE: networksFile })
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(async () => {
  await app?.close()
  await testDb?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function newestLogId(): Promise<string> {
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    'SELECT id::text FROM postback_log ORDER BY id DESC LIMIT 1',
  )
  return rows[0]?.id ?? ''
}

test('refusals before verification: the dashboard and doctor give the registry title and advice for network acme', async () => {
  const refusals: [ErrorCode, InjectOptions][] = [
    [
      'INVALID_BODY',
      {
        method: 'POST',
        url: '/api/postback/acme',
        headers: { 'content-type': 'application/json' },
        payload: '[1, 2]',
      },
    ],
    [
      'UNSUPPORTED_MEDIA_TYPE',
      {
        method: 'POST',
        url: '/api/postback/acme',
        headers: { 'content-type': 'text/plain' },
        payload: 'trans_id=1',
      },
    ],
    [
      'BODY_TOO_LARGE',
      {
        method: 'POST',
        url: '/api/postback/acme',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `pad=${'x'.repeat(9000)}`,
      },
    ],
  ]
  for (const [code, request] of refusals) {
    const response = await app.inject(request)
    assert.equal(response.statusCode, CODES[code].status, `${code}: ${response.body}`)
    assert.equal(response.headers['x-postback-outcome'], code)
    const entry = await app.inject({
      url: `/dashboard/postbacks/${await newestLogId()}`,
      headers: { cookie },
    })
    assert.equal(entry.statusCode, 200)
    assert.ok(entry.body.includes(escapeHtml(forNetwork(CODES[code].title, 'acme'))), code)
    assert.ok(entry.body.includes(escapeHtml(forNetwork(CODES[code].action, 'acme'))), code)
  }
  const log = await app.inject({ url: '/dashboard/postbacks', headers: { cookie } })
  for (const code of codesOn('log'))
    assert.match(log.body, new RegExp(`<option value="${code}"`), `filter offers ${code}`)

  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET })
  const profile = buildProfile('acme', { preset: 'kiwiwall', secrets: [KIWI_KEY] }, config)
  const diagnosis = await runDoctor(testDb.db.pool, config, profile)
  const other = diagnosis.findings.find((finding) => finding.code === 'OTHER_REFUSALS')
  assert.ok(other, JSON.stringify(diagnosis.findings))
  for (const [code] of refusals) {
    assert.match(other.message, new RegExp(`${code} ×1 `))
    assert.ok(other.message.includes(forNetwork(CODES[code].action, 'acme')), code)
  }
})

test('a secret that never arrived and one that is wrong are told apart by doctor', async () => {
  const fields = { offer_id: 'o1', payout: '1.00', user_id: 'codes-user' }
  for (let i = 0; i < 2; i += 1) {
    const url = postbackUrl({ tx_id: uniqueTx('nosecret'), ...fields }).replace(
      `secret=${SECRET}&`,
      '',
    )
    const response = await app.inject({ url })
    assert.equal(response.headers['x-postback-outcome'], 'BAD_SECRET')
  }
  const wrong = await app.inject({
    url: postbackUrl({ tx_id: uniqueTx('wrong'), ...fields, secret: 'not-the-secret-0000' }),
  })
  assert.equal(wrong.headers['x-postback-outcome'], 'BAD_SECRET')
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET })
  const diagnosis = await runDoctor(testDb.db.pool, config, defaultProfile(config, [SECRET]))
  const messages = diagnosis.findings
    .filter((finding) => finding.code === 'SIGNATURE_MISMATCH')
    .map((finding) => finding.message)
  assert.equal(messages.length, 2, JSON.stringify(diagnosis.findings))
  assert.match(messages[0] ?? '', /^2 postbacks arrived without any secret \(no secret: send it as/)
  assert.match(messages[1] ?? '', /^every secret checked failed \(1 postbacks, none accepted\)/)
})

test('the OpenAPI document lists, per status, the codes the registry says a postback route answers', async () => {
  const document = (await app.inject({ url: '/openapi.json' })).json()
  const responses = document.paths['/api/postback'].get.responses as Record<
    string,
    { content?: Record<string, { schema: { properties: { code: { enum: string[] } } } }> }
  >
  // HEAD's 405 has no body: the operation's description tells of it.
  const statuses = new Set(
    codesOn('postback')
      .map((code) => CODES[code].status)
      .filter((status) => status !== 405),
  )
  for (const status of statuses) {
    const documented = responses[String(status)]?.content?.['application/json']?.schema
    assert.ok(documented, `${status} is not documented`)
    assert.deepEqual(
      [...documented.properties.code.enum].sort(),
      codesOn('postback')
        .filter((code) => CODES[code].status === status)
        .sort(),
    )
  }
})

test('every code the OpenAPI document names is documented under its own status', async () => {
  const document = (await app.inject({ url: '/openapi.json' })).json()
  type Responses = Record<
    string,
    { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> }
  >
  let checked = 0
  for (const [path, operations] of Object.entries(document.paths as Record<string, object>))
    for (const [method, operation] of Object.entries(operations as Record<string, object>))
      for (const [status, response] of Object.entries(
        (operation as { responses?: Responses }).responses ?? {},
      ))
        for (const code of response.content?.['application/json']?.schema?.properties?.code?.enum ??
          []) {
          assert.ok(code in CODES, `${method} ${path} ${status}: ${code} is not registered`)
          assert.equal(String(CODES[code as ErrorCode].status), status, `${method} ${path} ${code}`)
          checked += 1
        }
  assert.ok(checked > 20, `only ${checked} documented codes found`)
})
