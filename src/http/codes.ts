// Every stable error code the service answers or stores in the postback log, in one place (as
// Fastify's lib/errors.js is for its FST_ERR_* codes): its HTTP status, a short title and what
// the operator should do. HttpError takes its status from here, so the two cannot disagree and
// an unknown code does not compile. Derived from it: the answers tables in the docs
// (`npm run docs:codes`), the dashboard's explanations, the doctor's advice on refusals, the
// postback log's outcome filter and the OpenAPI document's refusal codes.
//
// `{network}` in a title or action is the network's name where one is known (the dashboard,
// the doctor), `<network>` in the docs. A network profile may answer refusals with its own
// status (Tapjoy: 403); the code, and what it means, stay the same.

/**
 * Where a code is answered: `postback` on the postback routes; `log` stored as a postback log
 * outcome (so the dashboard explains, filters and replays it); `admin` the admin API (and the
 * /metrics token); `dashboard` a dashboard page; `any` any route (the framework's answers).
 */
export type Where = 'postback' | 'log' | 'admin' | 'dashboard' | 'any'

export type CodeSpec = {
  status: number
  /** What happened, as the dashboard's summary line says it. */
  title: string
  /** What the operator should do about it. */
  action: string
  on: readonly Where[]
  /** The message lists one problem per field ('; '-separated) and the JSON answer has `fields`. */
  listsFields?: true
}

export const CODES = {
  // Postbacks: the request itself.
  INVALID_BODY: {
    status: 400,
    title:
      'the body could not be read: broken JSON, not an object of fields, or a field that is an object',
    action:
      "Postbacks are a GET with a query string, or a POST of a form or of a JSON object of fields; a field may be an object only when the network's profile reads it by path (such as data.player_id).",
    on: ['postback', 'log', 'admin'],
  },
  BAD_URL: {
    status: 400,
    title: 'the URL is malformed (its percent-encoding is broken)',
    action:
      "Check the postback URL in the network's panel: every % must start an escape such as %20. Not stored in the postback log.",
    on: ['postback', 'any'],
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'HEAD on a postback route, answered without a body (Allow: GET, POST)',
    action:
      'Nothing: a HEAD is never recorded nor stored (Fastify would otherwise run the GET handler for it). A network must send GET or POST.',
    on: ['postback'],
  },
  BODY_TOO_LARGE: {
    status: 413,
    title: 'the body is larger than the route accepts (a postback: 8 KB)',
    action: 'A postback is a few hundred bytes: check what the network sends to this URL.',
    on: ['postback', 'log', 'any'],
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'the body is neither a form nor JSON',
    action:
      'Send the postback as a GET with a query string, or as a POST of a form (application/x-www-form-urlencoded) or of JSON.',
    on: ['postback', 'log', 'any'],
  },
  RATE_LIMITED: {
    status: 429,
    title: 'more than RATE_LIMIT_MAX postbacks per RATE_LIMIT_WINDOW from this address',
    action:
      "Networks retry after Retry-After. If this is a network's real volume, raise RATE_LIMIT_MAX. Not stored in the postback log, so a flood cannot fill it.",
    on: ['postback'],
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    title: 'the database did not answer in time; nothing is claimed recorded',
    action:
      'Check the database (the service log says why). Networks retry after Retry-After; the refusal is not stored, so there is nothing to replay. /readyz answers 503 meanwhile.',
    on: ['postback', 'admin', 'any'],
  },

  // Postbacks: the caller (network, source address, secret or signature). A refusal here is
  // stored with caller_verified = false, so replay does not trust it without the operator.
  UNKNOWN_NETWORK: {
    status: 404,
    title: 'the request named a network that is not configured',
    action:
      "Add the network: on the dashboard's Networks page (or POST /admin/networks), or in NETWORKS_FILE and reload (SIGHUP). A refused postback was never verified, so ask the network to resend it, or replay it only if you know the network really sent it.",
    on: ['postback', 'log', 'admin', 'dashboard'],
  },
  HTTPS_REQUIRED: {
    status: 403,
    title: 'the request arrived over plain HTTP while REQUIRE_HTTPS is on',
    action:
      'Give the network the https:// postback URL (behind a proxy, set TRUST_PROXY so X-Forwarded-Proto counts).',
    on: ['postback', 'log'],
  },
  IP_NOT_ALLOWED: {
    status: 403,
    title: 'the request came from an address not allowed for network {network}',
    action:
      "If the network added servers, add their addresses to network {network}'s allowedIps (ALLOWED_IPS for the default network); behind a proxy, set TRUST_PROXY so the real client address is checked.",
    on: ['postback', 'log'],
  },
  UNSIGNED_PARAMS: {
    status: 403,
    title:
      "parameters arrived that network {network}'s URL signature does not cover (after the signature parameter, or in a body)",
    action:
      'A genuine callback of a URL-signing network (hmac_url: BitLabs, Notik) has its signature parameter last and no body. If the network really sends this, check its postback URL; otherwise someone appended parameters to a signed URL: do not replay it.',
    on: ['postback', 'log'],
  },
  BAD_SECRET: {
    status: 403,
    title: 'the secret did not match any active secret for network {network} (or none was sent)',
    action:
      "Copy network {network}'s postback URL from the Networks page (or `npm run cli -- url {network}`) into the network again, or add the secret the network uses to its secrets (the default network: POSTBACK_SECRET, comma-separated) while you rotate. When the stored request still holds macros or a repeated parameter, the message says so: the URL in the network's panel is not the printed one.",
    on: ['postback', 'log'],
  },
  BAD_SIGNATURE: {
    status: 403,
    title: 'the signature did not verify for network {network} (or none was sent)',
    action:
      "Check that network {network}'s secret in NETWORKS_FILE is the one in the network's panel, and that PUBLIC_URL is the address the network calls (URL signatures cover it); `npm run cli -- doctor {network}` tells which. When the stored request still holds macros or a repeated parameter, the message says so: paste the printed URL.",
    on: ['postback', 'log'],
  },

  // Postbacks: the fields, checked after the caller was verified (except a `network` name
  // that arrived twice): fix the profile or the URL, then replay.
  SECRET_IN_FIELD: {
    status: 400,
    title: 'a field held an active secret, so the postback was refused rather than stored',
    action:
      "Fix the postback URL in the network's panel so the secret is only in its own parameter; if the secret leaked, rotate it.",
    on: ['postback', 'log'],
    listsFields: true,
  },
  AMBIGUOUS_PARAM: {
    status: 400,
    title: 'a parameter arrived twice with different values',
    action:
      "Remove the duplicate parameter from the postback URL in the network's panel (a network that appends its own parameters needs the bare URL that `npm run cli -- url {network}` prints).",
    on: ['postback', 'log'],
    listsFields: true,
  },
  MISSING_FIELD: {
    status: 400,
    title: 'a required parameter was missing under every name network {network} reads',
    action:
      "If the network sends it under another name, add that name to network {network}'s params in NETWORKS_FILE, reload (SIGHUP), then replay.",
    on: ['postback', 'log'],
    listsFields: true,
  },
  UNREPLACED_MACRO: {
    status: 400,
    title:
      'a parameter still holds a macro placeholder (such as `{user_id}` or `%%USER%%`): the network did not fill it in',
    action:
      "Fix the postback URL in the network's panel: use the network's own macro for that parameter (`npm run cli -- url {network}` and the Networks page print the URL in its syntax).",
    on: ['postback', 'log'],
    listsFields: true,
  },
  INVALID_FIELD: {
    status: 400,
    title: 'a value is not valid: for a postback, not what network {network} expects',
    action:
      "For a postback whose value is legitimate (a new status word, say), add it to network {network}'s profile, reload (SIGHUP), then replay. On the admin API, correct the field the message names.",
    on: ['postback', 'log', 'admin'],
    listsFields: true,
  },
  REDACTED_FIELD: {
    status: 400,
    title: 'a field was redacted when the request was stored, so it cannot be replayed',
    action: 'Ask the network to resend this postback (a replay stores this refusal).',
    on: ['log'],
  },

  // The admin API, the dashboard and /metrics.
  UNAUTHORIZED: {
    status: 401,
    title: 'the Authorization: Bearer token is missing or wrong',
    action:
      'Send `Authorization: Bearer <ADMIN_TOKEN>` or an API token that is neither revoked nor expired (for /metrics, METRICS_TOKEN). Wrong tokens count towards AUTH_FAILURE_MAX.',
    on: ['admin'],
  },
  TOO_MANY_AUTH_FAILURES: {
    status: 429,
    title: 'too many wrong tokens from this address within AUTH_FAILURE_WINDOW',
    action:
      'Wait for Retry-After: until then the right token is refused too, so a guesser cannot tell. Find out who sends wrong tokens.',
    on: ['admin', 'dashboard'],
  },
  FORBIDDEN: {
    status: 403,
    title: "the account's role or the token's scope does not allow this action",
    action:
      'Viewers and balances:read tokens only read; operators review, replay, retry and adjust; offers, networks, accounts and tokens need an admin. Ask an admin for the role or a token with the scope (docs/OPERATIONS.md, Accounts).',
    on: ['admin', 'dashboard'],
  },
  ACCOUNT_NOT_FOUND: {
    status: 404,
    title: 'no account with that name',
    action: 'List the accounts (GET /admin/accounts or `postback-receiver accounts list`).',
    on: ['admin', 'dashboard'],
  },
  ACCOUNT_EXISTS: {
    status: 409,
    title: 'an account with that name exists already',
    action: "Choose another name, or reset the existing account's password.",
    on: ['admin', 'dashboard'],
  },
  TOKEN_NOT_FOUND: {
    status: 404,
    title: 'no API token with that id',
    action: 'List the tokens (GET /admin/tokens).',
    on: ['admin', 'dashboard'],
  },
  USER_NOT_FOUND: {
    status: 404,
    title: 'the user has no balance and no ledger entries',
    action: 'Check the user id: it is the one the network sends (user_id, sub1 ...).',
    on: ['admin'],
  },
  CONVERSION_NOT_FOUND: {
    status: 404,
    title: 'no conversion has this id',
    action: 'Check the id (GET /admin/conversions lists them).',
    on: ['admin'],
  },
  NOT_HELD: {
    status: 409,
    title: 'the conversion is not held for review',
    action:
      "Nothing to approve or reject: it was decided already (the conversion's timeline on the dashboard shows how).",
    on: ['admin', 'dashboard'],
  },
  DELIVERY_NOT_FOUND: {
    status: 404,
    title: 'no delivery has this id',
    action: 'Check the id (GET /admin/deliveries lists them).',
    on: ['admin'],
  },
  BULK_RUN_ACTIVE: {
    status: 409,
    title: 'a bulk run of this kind is already running',
    action:
      'Follow the running one (GET /admin/bulk-runs/:id, or the dashboard page it links to); start again once it is done. One bulk replay and one bulk retry run at a time, so no row is handled twice.',
    on: ['admin', 'dashboard'],
  },
  BULK_RUN_NOT_FOUND: {
    status: 404,
    title: 'no bulk run has this id',
    action: 'Check the id: the answer that started the run gives it.',
    on: ['admin', 'dashboard'],
  },
  BULK_RUN_FINISHED: {
    status: 409,
    title: 'the bulk run is done: there is nothing to resume',
    action: 'Start a new run (its preview shows what is left).',
    on: ['admin', 'dashboard'],
  },
  INVALID_REPORT: {
    status: 400,
    title: "the network's report cannot be read as asked",
    action:
      'Check the column names (the message names the one that is not in the header), the delimiter and that the first line is the header; the body is the report itself, sent as text/csv.',
    on: ['admin', 'dashboard'],
  },
  NOT_DEAD: {
    status: 409,
    title: 'only dead deliveries can be retried',
    action: 'Nothing to do: a pending delivery is still being attempted, a delivered one is done.',
    on: ['admin'],
  },
  REFERENCE_USED: {
    status: 409,
    title: 'the adjustment reference was already used for other points or another user',
    action:
      'Choose a new reference for a new adjustment; sending the same points, user and reference again applies the first one once.',
    on: ['admin'],
  },
  NETWORK_EXISTS: {
    status: 409,
    title:
      'a network by that name already exists (in the database, NETWORKS_FILE or the environment)',
    action:
      'Edit the existing network instead, or choose another name. NETWORKS_FILE networks are edited in the file (then SIGHUP).',
    on: ['admin', 'dashboard'],
  },
  NETWORK_READ_ONLY: {
    status: 409,
    title:
      'the network is defined by NETWORKS_FILE or the environment, which win over the database',
    action:
      'Edit NETWORKS_FILE and reload (SIGHUP), or for the default network its environment variables; the dashboard and admin API edit only networks stored in the database.',
    on: ['admin', 'dashboard'],
  },
  OFFERS_NOT_IMPORTED: {
    status: 422,
    title: 'a row of the offers CSV is bad, so none was imported',
    action:
      'Correct the rows the answer lists by line (an offer id, a plain decimal payout, a configured network) and send the whole file again.',
    on: ['admin'],
  },
  TEST_NOT_POSSIBLE: {
    status: 400,
    title: "a test postback cannot be built from the network's profile",
    action: "Add what the message names (a parameter or a status value) to the network's profile.",
    on: ['dashboard'],
  },

  // Any route.
  NOT_FOUND: {
    status: 404,
    title: 'no such route, or no such record behind a dashboard page',
    action: 'Check the URL (GET /openapi.json lists the routes).',
    on: ['dashboard', 'any'],
  },
  BAD_REQUEST: {
    status: 400,
    title: 'the request is not valid HTTP; the connection is closed',
    action:
      'Nothing was recorded. If a real client sends this, check what sits between it and the service.',
    on: ['any'],
  },
  REQUEST_TIMEOUT: {
    status: 408,
    title:
      'the request took longer than REQUEST_TIMEOUT to arrive (its head: HEADERS_TIMEOUT); the connection is closed',
    action:
      'Nothing was recorded: a slow or stalled client. Raise the limits only if a real network is that slow.',
    on: ['any'],
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    title: 'the request head is too large; the connection is closed',
    action: 'Nothing was recorded; check the client (a header or cookie that grew).',
    on: ['any'],
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'an unexpected error; the details are in the service log',
    action: 'Find the request in the service log (level error) and report what it says.',
    on: ['any'],
  },
} as const satisfies Record<string, CodeSpec>

export type ErrorCode = keyof typeof CODES

/** Fastify's own client errors not mapped to a code above pass through with their code. */
export type FastifyErrorCode = `FST_${string}`

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(CODES, code)
}

/** The registry's entry for a code as stored or answered (undefined: not one of ours). */
export function codeSpec(code: string): CodeSpec | undefined {
  return isErrorCode(code) ? CODES[code] : undefined
}

/** Every code answered or stored `where`, in the registry's order. */
export function codesOn(where: Where): ErrorCode[] {
  return (Object.keys(CODES) as ErrorCode[]).filter((code) =>
    (CODES[code].on as readonly Where[]).includes(where),
  )
}

/** A title or action with `{network}` filled in. */
export function forNetwork(text: string, network: string): string {
  return text.replaceAll('{network}', network)
}
