-- The delivery outbox: one row per (conversion event, delivery rule), written in the same
-- transaction as the conversion change, and the log of every attempt to send it.

CREATE TABLE deliveries (
  id bigserial PRIMARY KEY,
  conversion_id bigint NOT NULL REFERENCES conversions (id),
  rule text NOT NULL,
  -- What happened to the conversion: credited, reversed, held, recorded or rejected.
  event text NOT NULL,
  -- The conversion as it was when the event committed; the rule's macros read from it.
  data jsonb NOT NULL,
  -- pending: waiting for (another) attempt; delivered: a 2xx came back; dead: out of attempts.
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts > 0),
  -- Due time while pending; a claimed job's lease runs until it, so no other worker takes it.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Set by the worker holding the lease; its result is stored only if the claim still matches.
  claim text,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_conversion_idx ON deliveries (conversion_id, id);
CREATE INDEX deliveries_state_idx ON deliveries (state, id);

CREATE TABLE delivery_attempts (
  id bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES deliveries (id),
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  -- Secrets in the destination URL are redacted before it is stored.
  url text NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  response_excerpt text,
  error text
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, id);
