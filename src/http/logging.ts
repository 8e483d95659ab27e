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
  // Asynchronous stdout: a postback never waits on a write to a slow log pipe; writes made
  // while one is pending go out together, and pino flushes what is left when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }))
}
