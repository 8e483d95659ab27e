-- Whether the caller of a logged request was verified: its network's secret or signature and
-- its source address (allowedIps / ALLOWED_IPS), and HTTPS when required, all checked OK.
-- Requests refused before that point (415, 413, 404 UNKNOWN_NETWORK, 400 INVALID_BODY,
-- BAD_SECRET, BAD_SIGNATURE, IP_NOT_ALLOWED, HTTPS_REQUIRED, ...) are false, and replay does
-- not trust them unless an operator vouches for them (--include-unauthorized).
ALTER TABLE postback_log ADD COLUMN caller_verified boolean NOT NULL DEFAULT false;

-- Backfill, true only where the outcome proves the caller was verified, false otherwise:
--  * accepted rows (status < 400) that are not replays (replayed_by is null): the postback route records nothing
--    before verifyCaller has passed;
--  * MISSING_FIELD, INVALID_FIELD and UNREPLACED_MACRO refusals that are not replays: on the
--    postback route only field parsing raises them, and it has always run after verifyCaller.
--    (AMBIGUOUS_PARAM stays false: an ambiguous network name is refused before verification.)
-- Replay rows re-ran the same stored request, so they take their original's value: a replay
-- an operator forced with --include-unauthorized stays unverified.
UPDATE postback_log SET caller_verified = true
WHERE replay_of IS NULL AND replayed_by IS NULL
  AND (status_code < 400 OR outcome IN ('MISSING_FIELD', 'INVALID_FIELD', 'UNREPLACED_MACRO'));
UPDATE postback_log r SET caller_verified = true
FROM postback_log o
WHERE r.replay_of = o.id AND o.caller_verified;
