-- The dashboard's overview and time filters read postback_log and ledger_entries by time.
-- Both tables are append-only in time order, so BRIN indexes (a few pages each, next to no
-- cost per insert) let those ranges skip the rest of the table.
CREATE INDEX postback_log_received_at_brin ON postback_log USING brin (received_at);
CREATE INDEX ledger_entries_created_at_brin ON ledger_entries USING brin (created_at);
