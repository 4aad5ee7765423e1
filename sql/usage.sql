-- Usage tracking without shared_preload_libraries (this suite's server): nothing is counted,
-- the listing and the revocation of unused tokens refuse (they could not tell an unused token
-- from a token whose uses were never counted), and the columns are there with their rules.
-- With preload (counts, flushes, restarts, standbys): test/t/009_usage.pl.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
\set o '00000000-0000-4000-8000-0000000000c1'
SELECT token AS t1, token_id AS t1_id FROM hive_tokens.issue(:'o', 'used', '{usage:report}') \gset
SELECT hive_tokens.verify_reason(:'t1') AS used_once;
SELECT active, since IS NULL AS no_since, pending_tokens IS NULL AS no_pending FROM hive_tokens.usage_tracking();
SELECT last_used_at, use_count FROM hive_tokens.tokens WHERE id = :'t1_id';
-- verify() shows the usage columns too
SELECT title, use_count FROM hive_tokens.verify(:'t1');
-- not tracked: 55000, with the way out in the hint
\set VERBOSITY default
SELECT * FROM hive_tokens.unused_tokens(:'o', '90 days');
SELECT * FROM hive_tokens.revoke_unused_tokens(:'o', '90 days');
-- bad intervals are the caller's error, whatever the server (22004, 22023)
SELECT * FROM hive_tokens.unused_tokens(:'o', NULL);
SELECT * FROM hive_tokens.unused_tokens(:'o', '0 seconds');
SELECT * FROM hive_tokens.unused_tokens(:'o', '-1 day');
-- compared as a span it is one day; subtracted from now it reaches days into the future (22023)
SELECT * FROM hive_tokens.unused_tokens(:'o', '-1 year 361 days');
\set VERBOSITY terse
-- the token is still there and works (nothing was revoked)
SELECT hive_tokens.verify_reason(:'t1') AS still_ok;
-- only the owner's roles: a role without grants may not call them, nor read the numbers
CREATE ROLE ht_usage_nobody;
SET ROLE ht_usage_nobody;
SELECT * FROM hive_tokens.unused_tokens(:'o', '1 day');
SELECT * FROM hive_tokens.revoke_unused_tokens(:'o', '1 day');
SELECT * FROM hive_tokens.usage_tracking();
SELECT hive_tokens_internal.usage_pending(:'t1_id');
SELECT hive_tokens_internal.unused_cutoff('1 day');
RESET ROLE;
-- pg_monitor reads the numbers (no token, no id)
GRANT pg_monitor TO ht_usage_nobody;
SET ROLE ht_usage_nobody;
SELECT active FROM hive_tokens.usage_tracking();
RESET ROLE;
-- a granted caller still needs the right to manage the organization's tokens (42501 before any
-- question of tracking), and gets the same 55000 once it has it
GRANT EXECUTE ON FUNCTION hive_tokens.unused_tokens(uuid, interval), hive_tokens.revoke_unused_tokens(uuid, interval),
    hive_tokens.revoke(uuid) TO ht_usage_nobody;
SET ROLE ht_usage_nobody;
SELECT * FROM hive_tokens.unused_tokens(:'o', '1 day');
RESET ROLE;
GRANT hive_tokens_admin TO ht_usage_nobody;
SET ROLE ht_usage_nobody;
SELECT * FROM hive_tokens.unused_tokens(:'o', '1 day');
RESET ROLE;
-- the usage columns are the only ones besides an earlier expiry a row may change; use_count
-- never goes NULL
UPDATE hive_tokens.access_tokens SET use_count = use_count + 5, last_used_at = now() WHERE id = :'t1_id';
SELECT use_count, last_used_at IS NOT NULL AS stamped FROM hive_tokens.tokens WHERE id = :'t1_id';
UPDATE hive_tokens.access_tokens SET use_count = NULL WHERE id = :'t1_id';
-- a session may turn counting off for itself only as a superuser
SET ROLE ht_usage_nobody;
SET hive_tokens.track_usage = off;
RESET ROLE;
SET hive_tokens.track_usage = off;
RESET hive_tokens.track_usage;
-- the flush interval is a server setting
SET hive_tokens.usage_flush_interval = 5;
DROP OWNED BY ht_usage_nobody;
DROP ROLE ht_usage_nobody;
