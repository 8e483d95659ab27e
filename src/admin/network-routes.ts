import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { HttpError } from '../http/errors.js'
import {
  createNetwork,
  describeChange,
  describeNetwork,
  editNetwork,
  shownPostbackUrl,
} from '../networks/edit.js'
import { NETWORK_NAME, type NetworkProfile, profileInputSchema } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  ADMIN_TOKEN_REFUSALS,
  BODY_REFUSALS,
  conflict,
  FORBIDDEN,
  INVALID_INPUT,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { DOCTOR_DEFAULT_ROWS, DOCTOR_MAX_ROWS, runDoctor } from '../operations/doctor/run.js'
import { doctorAnswer, networkChangeAnswer, networksAnswer, postbackUrlAnswer } from './answers.js'
import { name } from './inputs.js'

// The configured networks, each one's postback URL and its doctor, and networks stored in the
// database: added from a preset plus a secret, edited (allowed IPs, statuses, any field).
// Registered inside adminRoutes, behind the same Bearer token.

const PROFILE_BODY = profileInputSchema.describe(
  'a NETWORKS_FILE entry (docs/NETWORKS.md); `secrets` are write-only',
)

export type AdminNetworkOptions = {
  db: Database
  config: Config
  networks: NetworkRegistry
  /** Where networks reach this service, for the postback URLs shown. */
  baseUrl: string
  /** PUBLIC_URL as configured: `doctor` compares it with the address networks called. */
  publicUrl?: string
}

export function adminNetworkRoutes(
  app: ZodApp,
  { db, config, networks, baseUrl, publicUrl }: AdminNetworkOptions,
) {
  const deps = { pool: db.pool, config, networks }
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
      items: networks.names().flatMap((name) => describeNetwork(networks, name) ?? []),
    }),
  )

  app.post(
    '/admin/networks',
    {
      schema: {
        summary:
          'Add a network, stored in the database (a preset plus its secret): every instance applies it within NETWORKS_RELOAD_INTERVAL',
        ...ADMIN,
        body: PROFILE_BODY.extend({
          name: z
            .string()
            .regex(NETWORK_NAME, 'must be lower-case letters, digits, - and _ (at most 64)'),
        }),
        response: {
          200: jsonResponse('Added.', networkChangeAnswer),
          409: conflict(
            'A network by that name exists (database, NETWORKS_FILE or environment).',
            'NETWORK_EXISTS',
          ),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const { name, ...entry } = request.body
      const change = await createNetwork(deps, name, entry, requestActor(request, 'admin-api'))
      return describeChange(config, change)
    },
  )

  app.patch(
    '/admin/networks/:network',
    {
      schema: {
        summary:
          'Change fields of a network stored in the database (each field given replaces its value; `secrets` left out are kept)',
        ...ADMIN,
        params: z.object({ network: name }),
        body: PROFILE_BODY,
        response: {
          200: jsonResponse('Changed.', networkChangeAnswer),
          404: notFound('UNKNOWN_NETWORK'),
          409: conflict(
            'The network is defined by NETWORKS_FILE or the environment: edit it there.',
            'NETWORK_READ_ONLY',
          ),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const actor = requestActor(request, 'admin-api')
      const change = await editNetwork(deps, request.params.network, request.body, actor)
      return describeChange(config, change)
    },
  )

  app.get(
    '/admin/networks/:network/postback-url',
    {
      // It holds the network's secret (anyone with it can send postbacks that credit users).
      config: { permission: 'admin' },
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
      shownPostbackUrl(networks, requireNetwork(params.network), query.base ?? baseUrl),
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
