-- The verified-token cache: hits skip the table probe; any committed change to the tokens
-- empties it before the next verification; this transaction's own changes show at once.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
\set o '00000000-0000-4000-8000-0000000000b1'
SET hive_tokens.verify_cache_size = 100;
SELECT token AS t1, token_id AS t1_id FROM hive_tokens.issue(:'o', 'cached one', '{usage:report}') \gset
SELECT token AS t2, token_id AS t2_id FROM hive_tokens.issue(:'o', 'cached two', '{usage:report}') \gset
-- a miss, then hits
SELECT hits AS h0, misses AS m0 FROM hive_tokens.verify_cache() \gset
SELECT hive_tokens.verify_reason(:'t1') AS first;
SELECT hive_tokens.verify_reason(:'t1') AS second, hive_tokens.verify_reason(:'t1') AS third;
SELECT entries, hits - :h0 AS hits, misses - :m0 AS misses FROM hive_tokens.verify_cache();
-- a hit still checks the secret: a forged token for a cached id is unknown, a typo a checksum error
SELECT hive_tokens.verify_reason(overlay(:'t1' placing CASE WHEN substr(:'t1', 30, 1) = 'x' THEN 'y' ELSE 'x' END from 30 for 1)) AS typo;
-- verify(), authenticate() and authorize() answer from it the same
SELECT title FROM hive_tokens.verify(:'t1');
BEGIN;
SELECT hive_tokens.authenticate(:'t1') = :'t1_id' AS authenticated;
COMMIT;
SELECT hive_tokens.authorize(:'t1', 'usage:report', :'o', :'o', :'o') AS authorized;
-- this transaction's own revoke shows at once; rolled back, the token works again
BEGIN;
SELECT hive_tokens.revoke(:'t1_id') AS revoked;
SELECT hive_tokens.verify_reason(:'t1') AS inside;
ROLLBACK;
SELECT hive_tokens.verify_reason(:'t1') AS after_rollback;
-- a savepoint rolled back: the same
BEGIN;
SAVEPOINT s;
SELECT hive_tokens.revoke(:'t1_id') AS revoked;
SELECT hive_tokens.verify_reason(:'t1') AS inside_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT hive_tokens.verify_reason(:'t1') AS after_savepoint;
COMMIT;
-- an expiry that moves earlier (rotation with no grace) shows at the next statement
SELECT hive_tokens.verify_reason(:'t2') AS before_rotation;
SELECT count(*) AS rotated FROM hive_tokens.rotate(:'t2_id');
SELECT hive_tokens.verify_reason(:'t2') AS after_rotation;
-- an organization policy shows too (applied at every hit)
SELECT hive_tokens.verify_reason(:'t1') AS before_policy;
SELECT pg_sleep(1.1);
SELECT hive_tokens.set_expiry_policy(:'o', '1 second') AS ended_now;
SELECT hive_tokens.verify_reason(:'t1') AS after_policy;
SELECT hive_tokens.set_expiry_policy(:'o', NULL, true);
-- a transaction issuing a token and rolling back leaves nothing cached behind
BEGIN;
SELECT token AS ghost FROM hive_tokens.issue(:'o', 'ghost', '{usage:report}') \gset
SELECT hive_tokens.verify_reason(:'ghost') AS inside, hive_tokens.verify_reason(:'ghost') AS hit_inside;
ROLLBACK;
SELECT hive_tokens.verify_reason(:'ghost') AS after_rollback;
-- TRUNCATE empties it too
SELECT token AS t3 FROM hive_tokens.issue(:'o', 'truncated', '{usage:report}') \gset
SELECT hive_tokens.verify_reason(:'t3') AS before, hive_tokens.verify_reason(:'t3') AS cached;
BEGIN;
TRUNCATE hive_tokens.access_tokens;
SELECT hive_tokens.verify_reason(:'t3') AS after_truncate;
ROLLBACK;
SELECT hive_tokens.verify_reason(:'t3') AS truncate_rolled_back;
-- bounded: 300 distinct tokens through a cache of 100
CREATE TEMP TABLE many AS SELECT t.token FROM generate_series(1, 300) AS g, hive_tokens.issue(:'o', 'many ' || g, '{usage:report}') AS t;
SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(token) = 'ok') AS verified FROM many;
SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(token) = 'ok') AS verified_again FROM many;
SELECT entries <= 100 AS bounded FROM hive_tokens.verify_cache();
-- shrinking the setting empties it; 0 turns it off
SET hive_tokens.verify_cache_size = 0;
SELECT entries FROM hive_tokens.verify_cache();
SELECT hits AS h1 FROM hive_tokens.verify_cache() \gset
SELECT hive_tokens.verify_reason(:'t3') AS uncached, hive_tokens.verify_reason(:'t3') AS still_uncached;
SELECT hits - :h1 AS hits_while_off FROM hive_tokens.verify_cache();
RESET hive_tokens.verify_cache_size;
-- without its trigger (a database still at 0.1, or disabled by hand) nothing is cached
SELECT hive_tokens.verify_reason(:'t3') AS warm;
ALTER TABLE hive_tokens.access_tokens DISABLE TRIGGER access_tokens_changed;
SELECT hive_tokens.verify_reason(:'t3') AS a, hive_tokens.verify_reason(:'t3') AS b;
SELECT entries AS entries_without_trigger FROM hive_tokens.verify_cache();
ALTER TABLE hive_tokens.access_tokens ENABLE ALWAYS TRIGGER access_tokens_changed;
DELETE FROM hive_tokens.access_tokens WHERE organization_id = :'o';
-- a forged token for a cached id is refused and neither fills nor evicts
SELECT token AS t4, token_id AS t4_id FROM hive_tokens.issue(:'o', 'forged against', '{usage:report}') \gset
SELECT hive_tokens.verify_reason(:'t4') AS real_one;
SELECT entries AS e0 FROM hive_tokens.verify_cache() \gset
-- (a legacy-shaped token carries its id in the clear and has no checksum)
SELECT hive_tokens.verify_reason('hvo1/' || translate(encode(convert_to(:'t4_id' || ':' || repeat('a', 64), 'UTF8'), 'base64'), E'\n', '')) AS forged_for_cached_id,
       hive_tokens.verify_reason('hvo1/' || translate(encode(convert_to(gen_random_uuid()::text || ':' || repeat('a', 64), 'UTF8'), 'base64'), E'\n', '')) AS forged_for_random_id;
SELECT entries - :e0 AS entries_added FROM hive_tokens.verify_cache();
-- and counts as a miss, as one for an id never seen here would
SELECT hits AS h3, misses AS m3 FROM hive_tokens.verify_cache() \gset
SELECT hive_tokens.verify_reason('hvo1/' || translate(encode(convert_to(:'t4_id' || ':' || repeat('b', 64), 'UTF8'), 'base64'), E'\n', '')) AS forged_again;
SELECT hits - :h3 AS hits, misses - :m3 AS misses FROM hive_tokens.verify_cache();
-- a policy written in replica mode (as logical replication applies it) still reaches the cache
SELECT pg_sleep(1.1);
SET session_replication_role = replica;
INSERT INTO hive_tokens.expiry_policies (organization_id, max_lifetime, allow_never) VALUES (:'o', '1 second', false);
RESET session_replication_role;
SELECT hive_tokens.verify_reason(:'t4') AS under_replicated_policy;
DELETE FROM hive_tokens.expiry_policies WHERE organization_id = :'o';
SELECT hive_tokens.verify_reason(:'t4') AS real_one_still;
-- a row this transaction wrote is never kept: an aborted statement leaves nothing behind
CREATE TEMP TABLE scratch (i int);
CREATE FUNCTION pg_temp.peek(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scratch VALUES (1);
    RETURN hive_tokens.verify_reason(t);
END $$;
BEGIN;
SELECT token AS t5 FROM hive_tokens.issue(:'o', 'written here', '{usage:report}') \gset
SELECT pg_temp.peek(:'t5') AS inside, pg_temp.peek(:'t5') AS again;
ROLLBACK;
SELECT hive_tokens.verify_reason(:'t5') AS after_rollback;
-- the triggers must be exactly the extension's: one with a condition does not count
SELECT hive_tokens.verify_reason(:'t4') AS warm;
BEGIN;
DROP TRIGGER access_tokens_changed ON hive_tokens.access_tokens;
CREATE TRIGGER access_tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hive_tokens.access_tokens
    FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION hive_tokens_internal.tokens_changed();
ALTER TABLE hive_tokens.access_tokens ENABLE ALWAYS TRIGGER access_tokens_changed;
SELECT hive_tokens.verify_reason(:'t4') AS a, hive_tokens.verify_reason(:'t4') AS b;
SELECT entries AS entries_with_a_conditional_trigger FROM hive_tokens.verify_cache();
ROLLBACK;
DELETE FROM hive_tokens.access_tokens WHERE organization_id = :'o';
