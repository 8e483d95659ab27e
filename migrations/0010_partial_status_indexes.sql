-- Fewer index entries per postback. Most conversions end approved and most log rows say
-- credited: a list of those walks the primary key newest first and finds them at once, so
-- only the rarer statuses and outcomes (held, pending, refusals, duplicates ...) need an entry.
-- A filter on one of them (status = 'held', outcome = 'BAD_SECRET') still uses its index.
DROP INDEX conversions_status_idx;
CREATE INDEX conversions_status_idx ON conversions (status, id) WHERE status <> 'approved';

DROP INDEX postback_log_outcome_idx;
CREATE INDEX postback_log_outcome_idx ON postback_log (outcome, id) WHERE outcome <> 'credited';
