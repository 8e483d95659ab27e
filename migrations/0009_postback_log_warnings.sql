-- Values kept as sent that look wrong (an unreplaced macro in click_id, sub2..sub5, ip ...):
-- a JSON array of {field, code, message}, or NULL when there is nothing to say.
ALTER TABLE postback_log ADD COLUMN warnings jsonb;
