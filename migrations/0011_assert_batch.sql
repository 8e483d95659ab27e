-- The writer's one statement checks its own assumptions (every conversion it decided as new was
-- inserted, every ledger entry it decided was written). When one fails, this undoes the whole
-- statement, and with it everything it wrote, as a serialization failure: the writer reads and
-- decides again. Raising inside the statement, not after it, is what lets the statement commit
-- on its own, outside an explicit transaction.
CREATE FUNCTION assert_batch(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = message;
  END IF;
  RETURN true;
END
$$;
