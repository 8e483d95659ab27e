import { cliIO } from './io.js'

/** One `postback-receiver <name>` command. `run` resolves to the exit code (0 ok, 1 failure). */
export type Command = {
  /** One line for the command list. */
  summary: string
  /** The full --help text. */
  usage: string
  run(args: string[]): Promise<number>
}

/** Writes the command's answer to stdout. */
export function print(text = ''): void {
  cliIO().stdout.write(`${text}\n`)
}
