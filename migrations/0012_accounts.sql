-- Named operator accounts, their dashboard sessions and API tokens (issue 17 item 4).
-- ADMIN_TOKEN stays the bootstrap and automation key beside them.

CREATE TABLE accounts (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  -- admin: everything; operator: review, replay, retry, adjust; viewer: read only.
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  -- scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>: never the password itself.
  password_hash text NOT NULL,
  disabled_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Dashboard sessions, server-side so that they can be revoked. The cookie holds a random id;
-- only its SHA-256 is stored. account_id NULL is a session signed in with ADMIN_TOKEN, tied
-- to that token by admin_token_tag (an HMAC of it): changing ADMIN_TOKEN ends those sessions.
CREATE TABLE sessions (
  id bigserial PRIMARY KEY,
  id_hash bytea NOT NULL UNIQUE,
  account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
  admin_token_tag bytea,
  source_ip text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CHECK ((account_id IS NULL) = (admin_token_tag IS NOT NULL))
);
CREATE INDEX sessions_account_idx ON sessions (account_id) WHERE revoked_at IS NULL;

-- API tokens: shown once when created; only their SHA-256 is stored (a token is 32 random
-- bytes, so a fast hash is enough: nothing to guess from it). One scope each.
CREATE TABLE api_tokens (
  id bigserial PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  token_hash bytea NOT NULL UNIQUE,
  scope text NOT NULL CHECK (scope IN ('balances:read', 'viewer', 'operator', 'admin')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
