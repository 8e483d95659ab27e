-- Who changed what, when, from what to what: one row per state-changing action (approve,
-- reject, replay, retry, adjust, offer and network changes, accounts, tokens, sessions),
-- written in the same transaction as the change where the change has one.

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- An account's name, ADMIN_TOKEN, token:<name> or cli:<os user>.
  actor text NOT NULL,
  -- Where it came from: "dashboard from 203.0.113.7", "admin-api from ...", "cli".
  via text NOT NULL,
  -- conversion.approve, delivery.retry, balance.adjust, offer.set, account.create ...
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  -- So that the conversion's and the user's timelines find the rows about them.
  conversion_id bigint,
  user_id text,
  before jsonb,
  after jsonb
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, id);
CREATE INDEX audit_log_conversion_idx ON audit_log (conversion_id, id) WHERE conversion_id IS NOT NULL;
CREATE INDEX audit_log_user_idx ON audit_log (user_id, id) WHERE user_id IS NOT NULL;
