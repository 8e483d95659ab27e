import pino, { type DestinationStream, type Logger } from 'pino'
import type { Config } from '../config.js'
import { redactUrl } from './redact.js'

type LoggedRequest = { method: string; url: string; ip?: string }

/**
 * JSON logs to stdout (or `destination`). Request URLs are logged with sensitive query values
 * redacted, and credentials in headers never leave the process: whatever is logged as `req`
 * becomes its method, redacted URL and address, never its headers (test/http/logging.test.ts).
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  destination?: DestinationStream,
  /** Active secrets, also redacted by value (a network may send one under another name). */
  secrets: () => readonly string[] = () => [],
): Logger {
  const options: pino.LoggerOptions = {
    level: config.LOG_LEVEL,
    // No pino `redact` paths: they ran on every request line (~2% of a postback's CPU) and
    // could never match, since the serializer below keeps no headers.
    serializers: {
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: redactUrl(request.url, secrets()),
        remoteAddress: request.ip,
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: pino.stdSerializers.err,
    },
  }
  return pino(options, destination ?? bufferedStdout())
}

// Lines wait for company, at most FLUSH_MS: at 1 connection a postback's two request lines were
// two write system calls (with the thread-pool wake-ups around them), 15% of the process's CPU.
const BUFFER_BYTES = 4096
const FLUSH_MS = 100

/**
 * Asynchronous, buffered stdout: a postback never waits on a write to a slow log pipe; lines
 * go out in 4 KB writes, or FLUSH_MS after the first one waiting; pino flushes what is left
 * when the process exits (a SIGKILL loses at most the last FLUSH_MS of lines).
 */
function bufferedStdout(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES })
  const write = stdout.write.bind(stdout)
  let pending = false
  const flush = () => {
    pending = false
    // After the exit flush the stream is destroyed, and flush() would throw.
    if (!(stdout as unknown as { destroyed: boolean }).destroyed) stdout.flush()
  }
  stdout.write = (line: string) => {
    const written = write(line)
    if (!pending) {
      pending = true
      setTimeout(flush, FLUSH_MS).unref()
    }
    return written
  }
  return stdout
}
