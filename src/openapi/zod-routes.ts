import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchema,
  FastifySchemaCompiler,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import { z } from 'zod'
import { parseInput } from '../http/validate.js'

// Routes declare `schema: { params, querystring, body, response }` once, as zod: Fastify
// validates input with it (a 400 naming every field, from parseInput), TypeScript types
// `request.*` and the handler's answer from it, and the OpenAPI document is generated from it
// (documentedSchema, in the swagger transform). Answers are sent with JSON.stringify, never
// checked or stripped at run time: test/openapi.test.ts fails when an answer drifts from its
// documented schema. A plain JSON Schema (the CSV export's text) is documented as written and
// leaves the answer untyped.

/** `request.params/query/body` are a zod schema's output; the answer is its output too. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown
  serializer: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown
}

/** A plugin's Fastify instance after zodRoutes: what its route files take. */
export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>

const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    try {
      return { value: parseInput(schema, data) }
    } catch (error) {
      return { error: error as Error } // the HttpError: 400 INVALID_FIELD, every field named
    }
  }

/**
 * This plugin's routes validate with their zod schemas and answer with plain JSON. Call it at
 * the start of an encapsulated plugin (the compilers apply to that plugin only).
 */
export function zodRoutes(app: FastifyInstance): ZodApp {
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  return app.withTypeProvider<ZodTypeProvider>()
}

/**
 * JSON Schema (2020-12, which OpenAPI 3.1 uses) of a zod schema, without the $schema tag. An
 * answer's Date is documented as the string JSON.stringify makes of it (ISO 8601, UTC).
 */
export function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output' = 'output',
): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (io === 'output' && zodSchema._zod.def.type === 'date') {
        jsonSchema.type = 'string'
        jsonSchema.format = 'date-time'
      }
    },
  })
  return rest
}

const INPUTS = ['params', 'querystring', 'body', 'headers'] as const
type Response = { content?: Record<string, { schema: unknown }> }

/** A route's schema as @fastify/swagger reads it: every zod schema as JSON Schema. */
export function documentedSchema(schema: FastifySchema): FastifySchema {
  const documented: Record<string, unknown> = { ...schema }
  for (const part of INPUTS) {
    const input = schema[part]
    if (input instanceof z.ZodType) documented[part] = jsonSchema(input, 'input')
  }
  if (schema.response) {
    const responses: Record<string, unknown> = {}
    for (const [status, response] of Object.entries(schema.response as Record<string, unknown>)) {
      responses[status] = documentedResponse(response)
    }
    documented.response = responses
  }
  return documented
}

function documentedResponse(response: unknown) {
  if (response instanceof z.ZodType) return jsonSchema(response)
  const { content } = response as Response
  if (!content) return response
  const media: Record<string, { schema: unknown }> = {}
  for (const [type, { schema }] of Object.entries(content)) {
    media[type] = { schema: schema instanceof z.ZodType ? jsonSchema(schema) : schema }
  }
  return { ...(response as object), content: media }
}
