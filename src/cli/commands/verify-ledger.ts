import { type LedgerCheck, verifyLedger } from '../../operations/verify-ledger.js'
import { integerFlag, parseFlags, positionals } from '../args.js'
import { type Command, print } from '../command.js'
import { count, createProgress } from '../progress.js'
import { withDatabaseOrService } from '../service.js'

export const verifyLedgerCommand: Command = {
  summary: 'check that balances equal their ledgers and nothing was credited twice',
  usage: `usage: postback-receiver verify-ledger [--examples N]

Checks the whole database: every balance equals the sum of its ledger entries; no conversion
was credited or reversed more than once; every reversal takes back exactly its credit; credits
and reversals name a conversion, adjustments a reason; no held, rejected or reversed
conversion keeps a credit. Prints each check with up to N examples of violations (default 10).

Exit code: 0 when everything holds, 1 when any check found a violation.
Also: GET /admin/ledger/verify.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, { examples: { type: 'string' } })
    positionals(given, [])
    const examples = integerFlag('examples', values.examples, 0, 1000) ?? 10
    const progress = createProgress()
    const checks = await withDatabaseOrService(
      (context) =>
        verifyLedger(context.db.pool, {
          examples,
          onCheck: (holds) => progress.update(`checking: ${holds}…`),
        }),
      async (service) => {
        progress.update('checking through the running service…')
        const answer = await service.json<{ checks: LedgerCheck[] }>(
          'GET',
          `/admin/ledger/verify?examples=${examples}`,
        )
        return answer.checks
      },
      { longQueries: true },
    )
    progress.done()
    let violations = 0
    for (const check of checks) {
      violations += check.violations
      if (check.violations === 0) {
        print(`ok    ${check.holds}`)
        continue
      }
      print(`FAIL  ${check.holds}: ${count(check.violations)} violation(s)`)
      for (const example of check.examples) print(`        ${example}`)
      if (check.violations > check.examples.length)
        print(`        … and ${count(check.violations - check.examples.length)} more`)
    }
    print(violations === 0 ? 'ledger OK' : `ledger has ${count(violations)} violation(s)`)
    return violations === 0 ? 0 : 1
  },
}
