import { createInterface } from 'node:readline/promises'
import { UsageError } from './args.js'
import { cliIO } from './io.js'

/**
 * Asks `question` on the terminal and resolves to whether the answer was yes. Without a
 * terminal to ask on (cron, CI, a pipe) nobody can answer: a UsageError tells to pass `--yes`.
 */
export async function confirm(question: string, refusal: string): Promise<boolean> {
  const { stdin, stderr } = cliIO()
  if (!stdin?.isTTY) throw new UsageError(refusal)
  const prompt = createInterface({ input: stdin, output: stderr, terminal: false })
  // Input that ends unanswered (Ctrl-D) is a no.
  const closed = new Promise<string>((resolve) => prompt.once('close', () => resolve('')))
  try {
    const answer = await Promise.race([prompt.question(`${question} [y/N] `), closed])
    return /^\s*y(es)?\s*$/i.test(answer)
  } finally {
    prompt.close()
  }
}
