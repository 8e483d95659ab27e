import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { connect as tlsConnect } from 'node:tls'
import { Agent, type Dispatcher, fetch, type Response } from 'undici'
import { loadConfig } from '../config.js'
import { announcedService, DataDirInUseError } from '../db/data-dir-lock.js'
import { type CliContext, withContext } from './context.js'
import { cliIO } from './io.js'

// An embedded database belongs to the one process that opened it (db/data-dir-lock.ts). When
// that is the running service, the commands that change or check data go through its admin API
// instead, with the ADMIN_TOKEN this command reads from the same environment and .env: the
// service does the work in its own process, so nothing is written behind its back and lost.

/** A refusal from the service's admin API: its status, stable code and message. */
export class ServiceAnswerError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ServiceAnswerError'
  }
}

export type RunningService = {
  url: string
  pid: number
  /** The answer of a 2xx; anything else throws (ServiceAnswerError for the API's refusals). */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response>
  json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>
}

/**
 * Runs `local` with the database; when it is an embedded one held by the running service,
 * runs `remote` through that service's admin API instead.
 */
export async function withDatabaseOrService<T>(
  local: (context: CliContext) => Promise<T>,
  remote: (service: RunningService) => Promise<T>,
  options: { longQueries?: boolean } = {},
): Promise<T> {
  let held: DataDirInUseError
  try {
    return await withContext(local, options)
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error
    held = error
  }
  const announced = announcedService(held)
  if (!announced) throw held // a worker, another instance, another host: the refusal stands
  const where = `the embedded database ${held.dir} is held by the running service (pid ${announced.pid}, ${announced.url})`
  if (!announced.adminApi)
    throw new Error(
      `${where}, and this command would go through its admin API, which is off: set ADMIN_TOKEN (16 characters or more) for the service (.env or its environment), restart it, and run this again with the same ADMIN_TOKEN; or stop the service`,
    )
  const token = loadConfig(cliIO().env).ADMIN_TOKEN
  if (!token)
    throw new Error(
      `${where}: this command goes through its admin API; set ADMIN_TOKEN here (.env or the environment) to the service's`,
    )
  cliIO().stderr.write(`${where}: going through its admin API\n`)
  return remote(serviceClient(announced.url, announced.pid, token))
}

function serviceClient(url: string, pid: number, token: string): RunningService {
  // A ledger check or a replay may take minutes: no limit on waiting for the answer.
  const waitAsLongAsItTakes = { headersTimeout: 0, bodyTimeout: 0 }
  const dispatcher = url.startsWith('https:')
    ? pinnedAgent(waitAsLongAsItTakes)
    : new Agent(waitAsLongAsItTakes)
  const request = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    let response: Response
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher,
      })
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message
      throw new Error(`cannot reach the running service (pid ${pid}) at ${url}: ${cause}`)
    }
    if (response.ok) return response
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (response.status === 401)
      throw new Error(
        `the running service (pid ${pid}) refused this ADMIN_TOKEN: set ADMIN_TOKEN here to the service's`,
      )
    throw new ServiceAnswerError(
      response.status,
      String(answer.code ?? response.status),
      String(answer.message ?? `the service answered ${response.status}`),
      answer,
    )
  }
  return {
    url,
    pid,
    request,
    json: async <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
      (await (await request(method, path, body)).json()) as T,
  }
}

/**
 * The service serves TLS itself (TLS_CERT_FILE): it is reached on a loopback address its
 * certificate does not name, so instead of the name the certificate is checked to be the very
 * one the configuration points at, before anything (the token) is sent.
 */
function pinnedAgent(options: Agent.Options): Dispatcher {
  const file = loadConfig(cliIO().env).TLS_CERT_FILE
  if (!file) throw new Error('the running service serves HTTPS: set TLS_CERT_FILE here as for it')
  const expected = new X509Certificate(readFileSync(file)).fingerprint256
  return new Agent({
    ...options,
    connect(options, callback) {
      const socket = tlsConnect({
        host: options.hostname,
        port: Number(options.port),
        rejectUnauthorized: false, // checked just below, against the configured certificate
      })
      let settled = false
      const settle = (error: Error | null) => {
        if (settled) return
        settled = true
        if (!error) return callback(null, socket)
        socket.destroy()
        callback(error, null)
      }
      socket.once('secureConnect', () => {
        const presented = socket.getPeerX509Certificate()?.fingerprint256
        settle(
          presented === expected
            ? null
            : new Error(
                `the service at ${options.hostname}:${options.port} presents a certificate other than TLS_CERT_FILE's`,
              ),
        )
      })
      socket.once('error', settle)
    },
  })
}
