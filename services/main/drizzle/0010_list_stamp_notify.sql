-- Every bump of the list stamp is also sent as a NOTIFY on "list_stamp" with the new value: it is
-- delivered when the writing transaction commits (never for one that rolls back), to every
-- replica listening, whose held GET /internal/cache-version requests then answer at once.
CREATE OR REPLACE FUNCTION "bump_list_stamp"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next bigint;
BEGIN
  UPDATE list_stamp SET value = value + 1 RETURNING value INTO next;
  PERFORM pg_notify('list_stamp', next::text);
  RETURN NULL;
END
$$;
