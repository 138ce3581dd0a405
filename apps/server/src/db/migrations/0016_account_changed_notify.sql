-- Servers keep each signed-in user's account row with their session (GET /me answers from it). Any change to
-- the row, by any code path or by hand, tells every server to read it again: the notification is delivered at
-- commit, on the channel the servers already listen to for ended sessions.
CREATE FUNCTION "users_account_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(
		'jobsphere_sessions_ended',
		json_build_object('kind', 'account_changed', 'userId', NEW.id)::text
	);
	RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "users_account_changed" AFTER UPDATE ON "users"
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "users_account_changed"();
