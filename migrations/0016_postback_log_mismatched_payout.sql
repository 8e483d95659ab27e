-- A repeat of a recorded conversion whose payout differs from the recorded one is answered as a
-- duplicate and not applied. The payout it sent is kept here (NULL on every other row), so the
-- postback log can flag such a repeat and list only those. The partial index holds only these
-- rare rows: a postback that is not a mismatched repeat adds no index entry.
ALTER TABLE postback_log ADD COLUMN mismatched_payout numeric(20, 6);
CREATE INDEX postback_log_mismatched_payout_idx ON postback_log (id)
  WHERE mismatched_payout IS NOT NULL;

-- Rows written before: their message says "MISMATCH: payout 5 differs from the recorded 3.5".
UPDATE postback_log
SET mismatched_payout = substring(message FROM 'MISMATCH: payout ([0-9]+(\.[0-9]+)?) differs')::numeric
WHERE outcome = 'duplicate' AND message LIKE '%MISMATCH: payout %';
