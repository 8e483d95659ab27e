-- Bulk actions an operator starts from the dashboard or the admin API: replay every refused
-- postback matching a filter, retry every dead delivery of a rule. One row per run: what it
-- covers, how far it got, what it did. The run works in short steps (no transaction over the
-- whole run) and moves `cursor_id` after each, so a run whose process died continues from there.

CREATE TABLE bulk_runs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('replay', 'retry')),
  -- The filter as given (network, outcome, rule, since ...), resolved to absolute times.
  filter jsonb NOT NULL,
  -- running: a process is working on it (heartbeat_at moves); done: nothing left or the cap
  -- reached; interrupted: its process stopped or died, it can be resumed; failed: an error.
  state text NOT NULL DEFAULT 'running'
    CHECK (state IN ('running', 'done', 'interrupted', 'failed')),
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  -- The process working on it (random per start or resume): a process that lost the run to a
  -- resume stops at its next step instead of working beside the new one.
  owner text,
  -- The run covers rows with ids up to this one, fixed when it starts: it does not chase rows
  -- that arrive meanwhile (and for a replay, every replay row it writes has a larger id).
  up_to_id bigint NOT NULL,
  -- Every row with an id up to here is handled.
  cursor_id bigint NOT NULL DEFAULT 0,
  -- At most this many rows per run; `planned` is how many matched when it started (capped).
  cap integer NOT NULL CHECK (cap > 0),
  planned integer NOT NULL DEFAULT 0,
  counts jsonb NOT NULL DEFAULT '{}',
  error text
);

-- One running run of each kind: two operators starting at once get one run (the second start
-- hits this index and is shown the first), so no row is worked on by two runs.
CREATE UNIQUE INDEX bulk_runs_one_running ON bulk_runs (kind) WHERE state = 'running';
