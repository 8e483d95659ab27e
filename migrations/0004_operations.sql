-- Operator tools: replayed postbacks, manual ledger adjustments, IP anonymization.

-- A replay is a new log row pointing at the refused one it re-ran; the original stays.
-- Retention may delete the original first: the replay then keeps its outcome, not the link.
ALTER TABLE postback_log
  ADD COLUMN replay_of bigint REFERENCES postback_log (id) ON DELETE SET NULL,
  ADD COLUMN replayed_by text;
CREATE INDEX postback_log_replay_of_idx ON postback_log (replay_of) WHERE replay_of IS NOT NULL;

-- Adjustments ('adjustment' is already an allowed kind) have no conversion but need a reason;
-- an optional reference makes an operator's retry (CLI or API) apply at most once.
ALTER TABLE ledger_entries
  ADD COLUMN reason text,
  ADD COLUMN reference text,
  ADD COLUMN created_by text,
  ADD CONSTRAINT ledger_entries_adjustment_reason
    CHECK (kind <> 'adjustment' OR (reason IS NOT NULL AND conversion_id IS NULL)) NOT VALID;
CREATE UNIQUE INDEX ledger_entries_adjustment_reference
  ON ledger_entries (reference) WHERE kind = 'adjustment' AND reference IS NOT NULL;

-- IPv4 (also IPv4-mapped IPv6) -> its /24 (last octet 0), IPv6 -> its /48; anything that is not an address -> NULL.
CREATE FUNCTION anonymize_ip(ip text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF ip IS NULL THEN
    RETURN NULL;
  END IF;
  IF ip ILIKE '::ffff:%.%' THEN
    ip := substr(ip, 8); -- an IPv4-mapped IPv6 address is the IPv4 one
  END IF;
  RETURN host(cidr(set_masklen(ip::inet, CASE WHEN family(ip::inet) = 4 THEN 24 ELSE 48 END)));
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
