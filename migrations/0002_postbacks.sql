-- Conversions, the points ledger, balances, offers (for payout review) and the raw postback log.
-- Money is NUMERIC (exact decimals); points are whole numbers (bigint).

CREATE TABLE offers (
  network text NOT NULL,
  offer_id text NOT NULL,
  expected_payout numeric(20, 6) NOT NULL CHECK (expected_payout >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (network, offer_id)
);

CREATE TABLE conversions (
  id bigserial PRIMARY KEY,
  network text NOT NULL,
  tx_id text NOT NULL,
  offer_id text NOT NULL,
  user_id text,
  click_id text,
  payout numeric(20, 6) NOT NULL,
  currency text,
  points bigint NOT NULL,
  -- pending: awaiting the network's approval; approved: final unless reversed;
  -- held: approved by the network but waiting for operator review; rejected: refused in review;
  -- reversed: the network took it back.
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'held', 'rejected', 'reversed')),
  network_status text,
  hold_reason text,
  sub1 text, sub2 text, sub3 text, sub4 text, sub5 text,
  ip text,
  network_datetime text,
  reward text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT conversions_network_tx_id_key UNIQUE (network, tx_id)
);
CREATE INDEX conversions_user_id_idx ON conversions (user_id, id);
CREATE INDEX conversions_status_idx ON conversions (status, id);

CREATE TABLE balances (
  user_id text PRIMARY KEY,
  points bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only. A balance always equals the sum of its user's entries.
CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  conversion_id bigint REFERENCES conversions (id),
  kind text NOT NULL CHECK (kind IN ('credit', 'reversal', 'adjustment')),
  points bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- At most one credit and one reversal per conversion, whatever races.
CREATE UNIQUE INDEX ledger_entries_one_per_kind
  ON ledger_entries (conversion_id, kind) WHERE kind IN ('credit', 'reversal');
CREATE INDEX ledger_entries_user_id_idx ON ledger_entries (user_id, id);

-- Every request that reached a postback route, accepted or refused, secrets redacted.
CREATE TABLE postback_log (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  network text,
  method text NOT NULL,
  path text NOT NULL,
  query text,
  body text,
  headers jsonb NOT NULL DEFAULT '{}',
  source_ip text,
  status_code integer NOT NULL,
  outcome text NOT NULL,
  message text,
  tx_id text,
  conversion_id bigint REFERENCES conversions (id)
);
CREATE INDEX postback_log_outcome_idx ON postback_log (outcome, id);
CREATE INDEX postback_log_network_idx ON postback_log (network, id);
CREATE INDEX postback_log_conversion_idx ON postback_log (conversion_id);
