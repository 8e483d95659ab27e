import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type CsvRecord, csvLine, readCsv, spreadsheetSafe } from '../../src/operations/csv.js'

async function parse(chunks: string[], delimiter = ','): Promise<CsvRecord[]> {
  const records: CsvRecord[] = []
  for await (const batch of readCsv(
    (async function* () {
      yield* chunks
    })(),
    delimiter,
  ))
    records.push(...batch)
  return records
}

const TEXT =
  '\uFEFFid,name,note\r\n1,"Smith, J","said ""hi"""\r\n\r\n2,"two\nlines",x\n3,,"" \n4,last,no newline'

test('reads quotes, escaped quotes, delimiters and newlines inside quotes, CRLF and a BOM', async () => {
  assert.deepEqual(await parse([TEXT]), [
    { line: 1, fields: ['id', 'name', 'note'] },
    { line: 2, fields: ['1', 'Smith, J', 'said "hi"'] },
    { line: 4, fields: ['2', 'two\nlines', 'x'] },
    { line: 6, fields: ['3', '', ' '] },
    { line: 7, fields: ['4', 'last', 'no newline'] },
  ])
})

test('gives the same records however the text is cut into chunks', async () => {
  const whole = await parse([TEXT])
  for (let size = 1; size <= 7; size++) {
    const chunks: string[] = []
    for (let i = 0; i < TEXT.length; i += size) chunks.push(TEXT.slice(i, i + size))
    assert.deepEqual(await parse(chunks), whole, `chunks of ${size}`)
  }
})

test('other delimiters; an unclosed quote is an error naming its line', async () => {
  assert.deepEqual(await parse(['a;b\n"x;y";2\n'], ';'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x;y', '2'] },
  ])
  await assert.rejects(parse(['a,b\n1,"open\n']), /line 2: a quoted field is never closed/)
})

test('writes cells quoted only when needed, and defuses spreadsheet formulas', () => {
  assert.equal(
    csvLine(['a', 'b,c', 'say "x"', null, 3n, ' pad']),
    'a,"b,c","say ""x""",,3," pad"\r\n',
  )
  assert.equal(spreadsheetSafe('=HYPERLINK("x")'), `'=HYPERLINK("x")`)
  assert.equal(spreadsheetSafe('tx-1'), 'tx-1')
  for (const start of ['=', '+', '-', '@', '\t', '\r'])
    assert.equal(spreadsheetSafe(`${start}1+1`), `'${start}1+1`, JSON.stringify(start))
  // Numbers we write ourselves (points, payouts) are not text: a negative one stays a number.
  assert.equal(csvLine([-125n, '-3.5', spreadsheetSafe('-3.5')]), "-125,-3.5,'-3.5\r\n")
})
