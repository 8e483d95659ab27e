import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/errors.js'
import { redactValues } from './redact.js'

/** A request field that was missing or wrong, reported alongside the error code. */
export type FieldProblem = { field: string; code: string; message: string }

/** The one error type routes throw. `code` is a stable, documented string. */
export class HttpError extends Error {
  readonly headers: Record<string, string>
  readonly fields: FieldProblem[] | undefined
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options: { headers?: Record<string, string>; fields?: FieldProblem[] } = {},
  ) {
    super(message)
    this.name = 'HttpError'
    this.headers = options.headers ?? {}
    this.fields = options.fields
  }
}

export const RETRY_AFTER_SECONDS = 5

export function databaseUnavailable(): HttpError {
  return new HttpError(503, 'DATABASE_UNAVAILABLE', 'the database is unavailable; retry later', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  })
}

// Fastify's own client errors, with messages that never echo request bytes (a body may
// carry a secret, and JSON.parse messages quote the input).
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_BODY', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_BODY', 'the JSON body is empty'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE', 'the body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'this content type is not accepted',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'INVALID_BODY',
    'content-length does not match the body',
  ],
}

export type ErrorBody = {
  statusCode: number
  code: string
  error: string
  message: string
  fields?: FieldProblem[]
}

export function errorBody(
  statusCode: number,
  code: string,
  message: string,
  fields?: FieldProblem[],
): ErrorBody {
  const body: ErrorBody = { statusCode, code, error: STATUS_TEXT[statusCode] ?? 'Error', message }
  if (fields) body.fields = fields
  return body
}

/** Turns any thrown value into the answer: Fastify's error shape below 500, a generic body above. */
export function toHttpError(error: FastifyError | Error): HttpError {
  if (error instanceof HttpError) return error
  const fastifyCode = (error as FastifyError).code
  const known = fastifyCode ? FASTIFY_CLIENT_ERRORS[fastifyCode] : undefined
  if (known) return new HttpError(...known)
  // Client errors come before the database check: a client that hangs up mid-body raises
  // ECONNRESET too, and that is the client's problem, not a database outage.
  const status = (error as FastifyError).statusCode
  if (status && status >= 400 && status < 500) {
    if (fastifyCode?.startsWith('FST_')) return new HttpError(status, fastifyCode, error.message)
    return new HttpError(400, 'INVALID_BODY', 'the body ended early or could not be read')
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable()
  return new HttpError(500, 'INTERNAL_ERROR', 'internal error; the details are in the service log')
}

/** The same error with any of `secrets` removed from its message and field messages. */
export function redactHttpError(error: HttpError, secrets: readonly string[]): HttpError {
  const message = redactValues(error.message, secrets)
  const fields = error.fields?.map((field) => ({
    ...field,
    message: redactValues(field.message, secrets),
  }))
  if (message === error.message && JSON.stringify(fields) === JSON.stringify(error.fields))
    return error
  return new HttpError(error.statusCode, error.code, message, { headers: error.headers, fields })
}

export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const httpError = toHttpError(error)
  if (httpError.statusCode >= 500) {
    const level = httpError.statusCode === 503 ? 'warn' : 'error'
    request.log[level]({ err: error, code: httpError.code }, 'request failed')
  }
  void reply
    .code(httpError.statusCode)
    .headers(httpError.headers)
    .send(errorBody(httpError.statusCode, httpError.code, httpError.message, httpError.fields))
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  // Fastify's default message quotes the URL, query string (and its secret) included.
  const path = request.url.split('?')[0]
  void reply.code(404).send(errorBody(404, 'NOT_FOUND', `no route for ${request.method} ${path}`))
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}
