-- The server keyring: default key file, rotation, and every broken-key-file case.
-- Key files under keys/ are written by test/fixtures/make_key_files.sh.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
TRUNCATE hive_tokens.access_tokens, hive_tokens.revoked_tokens;
\set org '44444444-4444-4444-8444-444444444444'

-- By default the key lives in the data directory, created on first use.
LOAD 'hive_tokens';
SELECT current_setting('hive_tokens.key_file') AS key_file_setting;
SELECT (pg_stat_file('hive_tokens.key')).size BETWEEN 200 AND 400 AS default_key_file_exists;
-- one key, under a random id (so independently created keys do not share ids)
SELECT count(*) AS keys, bool_and(key_id BETWEEN 1 AND 32767 AND issuing) AS random_id_issuing FROM hive_tokens.keyring();

-- Rotation: issue under key 1, put key 2 in front, and both old and new tokens verify.
SET hive_tokens.key_file = 'keys/ring_1.key';
SELECT * FROM hive_tokens.keyring();
SELECT token_id AS k1_id, token AS k1 FROM hive_tokens.issue(:'org', 'under key one', '{usage:report}') \gset
SELECT key_id FROM hive_tokens.access_tokens WHERE id = :'k1_id';
SET hive_tokens.key_file = 'keys/ring_2_1.key';
SELECT * FROM hive_tokens.keyring();
SELECT hive_tokens.verify_reason(:'k1') AS old_token_under_rotated_ring;
SELECT token_id AS k2_id, token AS k2 FROM hive_tokens.issue(:'org', 'under key two', '{usage:report}') \gset
SELECT key_id FROM hive_tokens.access_tokens WHERE id = :'k2_id';
SELECT * FROM hive_tokens.key_usage();
-- Retiring key 1 too early: its tokens stop verifying, with a reason an operator can act on.
SET hive_tokens.key_file = 'keys/ring_2.key';
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(:'k1')) AS k1_not_verified, hive_tokens.verify_reason(:'k1') AS k1_reason,
       hive_tokens.verify_reason(:'k2') AS k2_reason;
SELECT * FROM hive_tokens.key_usage();
-- A different key under a reused id does not verify (ids name keys: never reuse one).
SET hive_tokens.key_file = 'keys/other_1.key';
SELECT hive_tokens.verify_reason(:'k1') AS k1_under_other_key_1, hive_tokens.verify_reason(:'k2') AS k2_reason;
RESET hive_tokens.key_file;
SELECT hive_tokens.verify_reason(:'k1') IN ('key_unavailable', 'unknown') AS k1_not_under_default_key;

-- Broken key files: a clear error naming the file and the fix, never a crash or a NULL.
SET hive_tokens.key_file = 'keys/missing.key';
SELECT hive_tokens.verify_reason(:'k2');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM hive_tokens.issue(:'org', 'no key', '{usage:report}');
SET hive_tokens.key_file = 'keys/unreadable.key';
SELECT hive_tokens.verify(:'k2');
\echo :LAST_ERROR_SQLSTATE
SET hive_tokens.key_file = 'keys/short.key';
SELECT hive_tokens.verify(:'k2');
\echo :LAST_ERROR_SQLSTATE
SET hive_tokens.key_file = 'keys/garbage.key';
SELECT hive_tokens.verify(:'k2');
SET hive_tokens.key_file = 'keys/world_readable.key';
SELECT hive_tokens.verify(:'k2');
\echo :LAST_ERROR_SQLSTATE
SET hive_tokens.key_file = 'keys';
SELECT hive_tokens.verify(:'k2');
-- Roles that may not see the setting get the same SQLSTATE without the path (the server log has
-- it): here a login role's session, with the setting a superuser made.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_ht_keys;
RESET client_min_messages;
CREATE ROLE regress_ht_keys;
SET hive_tokens.key_file = 'keys/secret-place/missing.key';
SET SESSION AUTHORIZATION regress_ht_keys;
SET client_min_messages = log;  -- the full message goes to the server log only, not to this client
SELECT hive_tokens.verify_reason(:'k2');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM hive_tokens.verify(:'k2');
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
GRANT pg_read_all_settings TO regress_ht_keys;
SET SESSION AUTHORIZATION regress_ht_keys;
SELECT hive_tokens.verify_reason(:'k2');
RESET SESSION AUTHORIZATION;
DROP ROLE regress_ht_keys;
-- the message of a malformed key file never contains key material
SET hive_tokens.key_file = 'keys/short.key';
DO $$
BEGIN
    PERFORM hive_tokens.hash('hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'error mentions key bytes: %', SQLERRM LIKE '%2021222324%';
END $$;
-- a good setting works again at once
SET hive_tokens.key_file = 'keys/ring_2_1.key';
SELECT hive_tokens.verify_reason(:'k1') AS k1_back, hive_tokens.verify_reason(:'k2') AS k2_back;
RESET hive_tokens.key_file;
