import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, postbackUrl } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('reconcile', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let dir: string
  const today = new Date().toISOString().slice(0, 10)
  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb)
    dir = await mkdtemp(join(tmpdir(), 'pbr-reconcile-'))
    const send = async (fields: Record<string, string>) => {
      const response = await app.inject(postbackUrl({ offer_id: 'o', user_id: 'u', ...fields }))
      assert.equal(response.statusCode, 200)
    }
    await send({ tx_id: 'same', payout: '1.00' })
    await send({ tx_id: 'paid-less', payout: '2.00' })
    await send({ tx_id: 'still-pending', payout: '3.00', status: 'pending' })
    await send({ tx_id: 'only-here', payout: '4.00' })
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  test('lists every kind of difference, with totals, a summary and a CSV', async () => {
    const report = join(dir, 'network.csv')
    await writeFile(
      report,
      [
        'Transaction;Amount;State;Day',
        `same;1.00;approved;${today}`,
        `paid-less;2.50;approved;${today}`,
        `still-pending;3.00;approved;${today}`,
        `only-there;5.00;approved;${today}`,
        `same;1.00;approved;${today}`,
        `broken;1,5;approved;${today}`,
      ].join('\n'),
    )
    const run = await runCli(
      [
        'reconcile',
        'default',
        report,
        '--delimiter',
        ';',
        '--tx-col',
        'Transaction',
        '--payout-col',
        'Amount',
        '--status-col',
        'State',
        '--date-col',
        'Day',
        '--timezone',
        'UTC',
      ],
      testDb.env,
    )
    assert.equal(run.code, 1, run.stderr)
    const line = (label: string) =>
      new RegExp(`^  ${label} +(.*)$`, 'm').exec(run.stdout)?.[1]?.trim().split(/ +/)
    assert.deepEqual(line('rows'), ['6', '4'])
    assert.deepEqual(line('approved payout'), ['11.5', '7'])
    assert.deepEqual(line('matched'), ['3'])
    assert.deepEqual(line('missing here \\(not recorded\\)'), ['1'])
    assert.deepEqual(line('missing there \\(not in report\\)'), ['1'])
    assert.deepEqual(line('payout mismatch'), ['1'])
    assert.deepEqual(line('status mismatch'), ['1'])
    assert.deepEqual(line('duplicate in report'), ['1'])
    assert.deepEqual(line('invalid rows'), ['1'])
    assert.deepEqual(line('total'), ['6'])
    assert.deepEqual(line('payout discrepancy'), ['39.13%'])
    const csv = await readFile(join(dir, 'network.differences.csv'), 'utf8')
    const rows = csv
      .trim()
      .split('\r\n')
      .map((row) => row.split(',').slice(0, 7).join(','))
    assert.deepEqual(rows.sort(), [
      'duplicate_in_report,6,same,,,,',
      'invalid_row,7,broken,,,,',
      'kind,line,tx_id,report_payout,db_payout,report_status,db_status',
      'missing_here,5,only-there,5,,approved,',
      `missing_there,,only-here,,4,,approved`,
      'payout_mismatch,3,paid-less,2.5,2,approved,approved',
      'status_mismatch,4,still-pending,3,3,approved,pending',
    ])
  })

  test('a report that matches exits 0 with no differences', async () => {
    const report = join(dir, 'clean.csv')
    const out = join(dir, 'clean-out.csv')
    await writeFile(report, 'tx_id,payout\nsame,1\npaid-less,2.000\n')
    // A period before this file's conversions: none of them is expected in the report.
    const period = ['--from', '2001-01-01', '--to', '2001-01-31']
    const run = await runCli(['reconcile', 'default', report, '--out', out, ...period], testDb.env)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /no differences/)
    assert.equal(
      await readFile(out, 'utf8'),
      'kind,line,tx_id,report_payout,db_payout,report_status,db_status,report_date,db_created_at,conversion_id,detail\r\n',
    )
  })

  test('--date-format reads a day-first or month-first report; a date that does not fit is an invalid row', async () => {
    const [y, m, d] = today.split('-')
    const report = join(dir, 'dates.csv')
    const write = (dates: string[]) =>
      writeFile(
        report,
        [
          'tx_id,payout,date',
          ...['same', 'paid-less', 'still-pending', 'only-here'].map(
            (tx, index) => `${tx},${['1', '2', '3', '4'][index]},${dates[index]}`,
          ),
        ].join('\n'),
      )
    const reconcileAs = (format: string) =>
      runCli(['reconcile', 'default', report, '--date-format', format], testDb.env)
    const invalidRows = (stdout: string) => /^ {2}invalid rows +(\d+)$/m.exec(stdout)?.[1]

    await write([
      `${d}/${m}/${y} 00:00`,
      `${d}/${m}/${y}`,
      `${d}/${m}/${y} 23:59:59`,
      `${d}/${m}/${y}`,
    ])
    const dayFirst = await reconcileAs('DD/MM/YYYY')
    assert.equal(invalidRows(dayFirst.stdout), '0', dayFirst.stdout + dayFirst.stderr)
    // The period is read from the dates: today, so all four conversions are in it.
    assert.match(dayFirst.stdout, new RegExp(`period ${today}T00:00:00\\.000Z to `))
    assert.match(dayFirst.stdout, /^ {2}missing there \(not in report\) +0$/m)
    // Without the flag, 25/11/2026 is not read as a date (nor guessed).
    const auto = await runCli(['reconcile', 'default', report], testDb.env)
    assert.equal(invalidRows(auto.stdout), '4')

    await write([
      `${m}/${d}/${y} 12:00 AM`,
      `${m}/${d}/${y}`,
      `${m}/${d}/${y} 11:59:59 PM`,
      `${m}/${d}/${y}`,
    ])
    const monthFirst = await reconcileAs('MM/DD/YYYY')
    assert.equal(invalidRows(monthFirst.stdout), '0', monthFirst.stdout)
    assert.match(monthFirst.stdout, new RegExp(`period ${today}T00:00:00\\.000Z to `))

    const seconds = Math.floor(Date.now() / 1000)
    await write([`${seconds}`, `${seconds}`, `${seconds * 1000}`, 'yesterday'])
    const unix = await reconcileAs('unix')
    assert.equal(invalidRows(unix.stdout), '2', 'milliseconds and a word are not Unix seconds')
    const csv = await readFile(join(dir, 'dates.differences.csv'), 'utf8')
    assert.match(csv, /invalid_row,4,still-pending,.*"date ""\d{13}"" is not a date in unix"/)

    const bad = await reconcileAs('YYYY/DD/MM')
    assert.equal(bad.code, 2)
    assert.match(
      bad.stderr,
      /--date-format expects one of auto, iso, DD\/MM\/YYYY, DD\.MM\.YYYY, MM\/DD\/YYYY, unix, unix-ms/,
    )
  })

  test('a column the report does not have, or an unknown network, is a usage error', async () => {
    const report = join(dir, 'cols.csv')
    await writeFile(report, 'id,amount\nx,1\n')
    const column = await runCli(['reconcile', 'default', report], testDb.env)
    assert.equal(column.code, 2)
    assert.match(
      column.stderr,
      /the report has no column "tx_id" \(its columns: id, amount\); map it with --tx-col/,
    )
    const network = await runCli(['reconcile', 'nowhere', report, '--tx-col', 'id'], testDb.env)
    assert.equal(network.code, 2)
    assert.match(network.stderr, /unknown network "nowhere"/)
  })
})
