import type { z } from 'zod'
import type { ErrorCode } from '../http/codes.js'
import { errorBodySchema, jsonSchema } from './answers.js'

// One route's documentation, in the shape @fastify/swagger reads from a route schema. It is
// attached in the swagger transform only, so Fastify never validates or serializes with it.

type Media = Record<string, { schema: unknown }>
export type ResponseDoc = {
  description: string
  content: Media
  headers?: Record<string, { description: string; type: string }>
}
export type OperationDoc = {
  summary: string
  description?: string
  tags: string[]
  security?: Record<string, string[]>[]
  params?: unknown
  querystring?: unknown
  response: Record<string, ResponseDoc>
}

export const RETRY_AFTER = { description: 'seconds to wait before retrying', type: 'integer' }

export function jsonResponse(description: string, schema: z.ZodType): ResponseDoc {
  return { description, content: { 'application/json': { schema: jsonSchema(schema) } } }
}

export function errorResponse(
  description: string,
  codes: readonly [ErrorCode, ...ErrorCode[]],
  headers?: ResponseDoc['headers'],
): ResponseDoc {
  return { ...jsonResponse(description, errorBodySchema(codes)), ...(headers ? { headers } : {}) }
}
