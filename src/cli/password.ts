import type { Readable } from 'node:stream'
import { UsageError } from './args.js'
import { cliIO } from './io.js'

/**
 * A password from stdin, never from the command line (argv is visible to every user through
 * ps and lands in shell history). At a real terminal it is asked for without echo; otherwise
 * the first line of stdin is read (a pipe, a file, a secret store's output).
 */
export async function readPassword(question: string): Promise<string> {
  const { stdin, stderr } = cliIO()
  if (!stdin) throw new UsageError('give the password on stdin')
  if (stdin.isTTY) stderr.write(question)
  const tty = stdin as Readable & { setRawMode?: (on: boolean) => unknown }
  const raw = Boolean(stdin.isTTY && typeof tty.setRawMode === 'function')
  // Raw mode: the terminal echoes nothing; Enter arrives as \r, Ctrl-C as \u0003.
  if (raw) tty.setRawMode?.(true)
  try {
    return await firstLine(stdin, raw)
  } finally {
    if (raw) tty.setRawMode?.(false)
    if (stdin.isTTY) stderr.write('\n')
  }
}

function firstLine(input: Readable, raw: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const done = (error?: Error) => {
      input.off('data', onData)
      input.off('end', onEnd)
      input.pause()
      if (error) reject(error)
      else resolve(text)
    }
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\n' || char === '\r') return done()
        if (raw && char === '\u0003') return done(new UsageError('cancelled'))
        if (raw && (char === '\u007f' || char === '\b')) text = text.slice(0, -1)
        else text += char
      }
    }
    const onEnd = () => done()
    input.on('data', onData)
    input.on('end', onEnd)
    input.resume()
  })
}
