-- Reports (GET /admin/reports, the dashboard's Reports page) and the CSV export read conversions
-- by created_at range, and conversions had no index on it: every report scanned the whole table.
-- Rows are inserted in time order (created_at defaults to now()), so a BRIN index (a few pages,
-- next to no cost per insert, unlike a btree entry on every postback) lets a 7- or 30-day range
-- skip the rest. Measured at 10 million postback log rows in bench/RESULTS.md.
CREATE INDEX conversions_created_at_brin ON conversions USING brin (created_at);
