import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/errors.js'
import { CODES, type ErrorCode, type FastifyErrorCode, isErrorCode } from './codes.js'
import { redactValues } from './redact.js'

/** A request field that was missing or wrong, reported alongside the error code. */
export type FieldProblem = { field: string; code: ErrorCode; message: string }

export type HttpErrorOptions = { headers?: Record<string, string>; fields?: FieldProblem[] }

/**
 * The one error type routes throw. `code` is a stable, documented code (src/http/codes.ts),
 * which gives the status; only Fastify's own client errors bring theirs.
 */
export class HttpError extends Error {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly fields: FieldProblem[] | undefined
  constructor(code: ErrorCode, message: string, options?: HttpErrorOptions)
  constructor(
    code: FastifyErrorCode,
    message: string,
    options: HttpErrorOptions & { statusCode: number },
  )
  constructor(
    readonly code: ErrorCode | FastifyErrorCode,
    message: string,
    options: HttpErrorOptions & { statusCode?: number } = {},
  ) {
    super(message)
    this.name = 'HttpError'
    this.statusCode = isErrorCode(code) ? CODES[code].status : (options.statusCode ?? 500)
    this.headers = options.headers ?? {}
    this.fields = options.fields
  }
}

export const RETRY_AFTER_SECONDS = 5

export function databaseUnavailable(): HttpError {
  return new HttpError('DATABASE_UNAVAILABLE', 'the database is unavailable; retry later', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  })
}

// Fastify's own client errors, with messages that never echo request bytes (a body may
// carry a secret, and JSON.parse messages quote the input).
const FASTIFY_CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_BODY', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_BODY', 'the JSON body is empty'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['BODY_TOO_LARGE', 'the body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'this content type is not accepted'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_BODY', 'content-length does not match the body'],
}

export type ErrorBody = {
  statusCode: number
  code: ErrorCode | FastifyErrorCode
  error: string
  message: string
  fields?: FieldProblem[]
}

/** The answer's body; `statusCode` is the status sent (a network profile may choose its own). */
export function errorBody(error: HttpError, statusCode = error.statusCode): ErrorBody {
  const body: ErrorBody = {
    statusCode,
    code: error.code,
    error: STATUS_TEXT[statusCode] ?? 'Error',
    message: error.message,
  }
  if (error.fields) body.fields = error.fields
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
    if (isFastifyCode(fastifyCode))
      return new HttpError(fastifyCode, error.message, { statusCode: status })
    return new HttpError('INVALID_BODY', 'the body ended early or could not be read')
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable()
  return new HttpError('INTERNAL_ERROR', 'internal error; the details are in the service log')
}

const isFastifyCode = (code: string | undefined): code is FastifyErrorCode =>
  code?.startsWith('FST_') ?? false

/** The same error with any of `secrets` removed from its message and field messages. */
export function redactHttpError(error: HttpError, secrets: readonly string[]): HttpError {
  const message = redactValues(error.message, secrets)
  const fields = error.fields?.map((field) => ({
    ...field,
    message: redactValues(field.message, secrets),
  }))
  if (message === error.message && JSON.stringify(fields) === JSON.stringify(error.fields))
    return error
  const options = { headers: error.headers, fields }
  return isErrorCode(error.code)
    ? new HttpError(error.code, message, options)
    : new HttpError(error.code, message, { ...options, statusCode: error.statusCode })
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
  void reply.code(httpError.statusCode).headers(httpError.headers).send(errorBody(httpError))
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  // Fastify's default message quotes the URL, query string (and its secret) included.
  const path = request.url.split('?')[0]
  const error = new HttpError('NOT_FOUND', `no route for ${request.method} ${path}`)
  void reply.code(error.statusCode).send(errorBody(error))
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
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}
