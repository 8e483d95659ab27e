import { z } from 'zod'
import type { Database } from '../db/database.js'
import { HttpError } from '../http/errors.js'
import { networkPostbackUrl } from '../networks/postback-url.js'
import type { NetworkProfile } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  ADMIN_TOKEN_REFUSALS,
  FORBIDDEN,
  INVALID_INPUT,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { DOCTOR_DEFAULT_ROWS, DOCTOR_MAX_ROWS, runDoctor } from '../operations/doctor/run.js'
import { doctorAnswer, networksAnswer, postbackUrlAnswer } from './answers.js'
import { name } from './inputs.js'

// The configured networks, each one's postback URL and its doctor. Registered inside
// adminRoutes, behind the same Bearer token.

export type AdminNetworkOptions = {
  db: Database
  networks: NetworkRegistry
  /** Where networks reach this service, for the postback URLs shown. */
  baseUrl: string
  /** PUBLIC_URL as configured: `doctor` compares it with the address networks called. */
  publicUrl?: string
}

export function adminNetworkRoutes(
  app: ZodApp,
  { db, networks, baseUrl, publicUrl }: AdminNetworkOptions,
) {
  const requireNetwork = (network: string): NetworkProfile => {
    const profile = networks.get(network)
    if (!profile)
      throw new HttpError(
        'UNKNOWN_NETWORK',
        `unknown network "${network}"; configured: ${networks.names().join(', ')}`,
      )
    return profile
  }

  app.get(
    '/admin/networks',
    {
      schema: {
        summary: 'The configured networks',
        ...ADMIN,
        // Read from memory: no parameter, no database.
        response: {
          200: jsonResponse('OK', networksAnswer),
          ...ADMIN_TOKEN_REFUSALS,
          ...FORBIDDEN,
        },
      },
    },
    async () => ({
      items: networks.names().map((name) => {
        const profile = networks.get(name)
        return {
          name,
          preset: profile?.preset ?? null,
          signature: profile?.signature.kind,
          allowedIps: profile && [...profile.allowedIps.entries],
        }
      }),
    }),
  )

  app.get(
    '/admin/networks/:network/postback-url',
    {
      schema: {
        summary: "The URL to paste into a network's dashboard (contains its secret)",
        ...ADMIN,
        params: z.object({ network: name }),
        querystring: z.object({
          base: z
            .string()
            .regex(
              /^https?:\/\/[^/?#\s]+$/,
              'must be a scheme and host such as https://pb.example.com',
            )
            .optional()
            .describe('default: PUBLIC_URL'),
        }),
        response: {
          200: jsonResponse('OK', postbackUrlAnswer),
          404: notFound('UNKNOWN_NETWORK'),
          ...INVALID_INPUT,
          ...ADMIN_TOKEN_REFUSALS,
          ...FORBIDDEN,
        },
      },
    },
    async ({ params, query }) =>
      networkPostbackUrl(requireNetwork(params.network), query.base ?? baseUrl),
  )

  app.get(
    '/admin/networks/:network/doctor',
    {
      schema: {
        summary:
          "What is wrong with a network's postbacks, from its newest postback log rows (as `doctor`)",
        ...ADMIN,
        params: z.object({ network: name }),
        querystring: z.object({
          rows: z.coerce
            .number()
            .int()
            .min(1)
            .max(DOCTOR_MAX_ROWS)
            .default(DOCTOR_DEFAULT_ROWS)
            .describe('log rows to read'),
        }),
        response: {
          200: jsonResponse('OK', doctorAnswer),
          404: notFound('UNKNOWN_NETWORK'),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ params, query }) =>
      runDoctor(db.pool, { PUBLIC_URL: publicUrl }, requireNetwork(params.network), query.rows),
  )
}
