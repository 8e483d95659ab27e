-- What a conversion has credited and reversed, kept on the conversion row itself. A decision made
-- after SELECT … FOR UPDATE may only trust what that row lock protects: under READ COMMITTED, a
-- read of ledger_entries in the same statement can come from a snapshot older than the row the
-- statement waited for (an approval committed meanwhile looked "not credited" to a reversal, which
-- then left the credit standing). The ledger stays the record of every movement; these columns
-- are written in the same statement as its entries, and verify-ledger checks they agree.
ALTER TABLE conversions
  ADD COLUMN credit_user text,
  ADD COLUMN credit_points bigint,
  ADD COLUMN reversed boolean NOT NULL DEFAULT false;

UPDATE conversions c SET credit_user = l.user_id, credit_points = l.points
FROM ledger_entries l
WHERE l.conversion_id = c.id AND l.kind = 'credit';

UPDATE conversions c SET reversed = true
FROM ledger_entries l
WHERE l.conversion_id = c.id AND l.kind = 'reversal';
