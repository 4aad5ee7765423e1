-- Privileges: an unprivileged role can neither read hashes nor call internals; a token's holder
-- can verify it; an application role gets exactly what it is granted.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP ROLE IF EXISTS regress_ht_nobody;
DROP ROLE IF EXISTS regress_ht_app;
RESET client_min_messages;
CREATE ROLE regress_ht_nobody;
CREATE ROLE regress_ht_app;
\set org '55555555-5555-4555-8555-555555555555'
SELECT token_id AS t_id, token AS t FROM hive_tokens.issue(:'org', 'privileges', '{usage:report}') \gset

SET ROLE regress_ht_nobody;
SELECT hash FROM hive_tokens.access_tokens;
SELECT * FROM hive_tokens.revoked_tokens;
SELECT * FROM hive_tokens.tokens;
SELECT hive_tokens.hash(:'t');
SELECT * FROM hive_tokens_internal.mint('organization');
SELECT * FROM hive_tokens.issue(:'org', 'sneaky', '{usage:report,traces:report}');
SELECT hive_tokens.revoke(:'t_id');
SELECT * FROM hive_tokens.keyring();
SELECT * FROM hive_tokens.key_usage();
-- the key file setting can be neither changed nor seen
SET hive_tokens.key_file = '/tmp/attacker.key';
SHOW hive_tokens.key_file;
SELECT current_setting('hive_tokens.key_file');
-- and no other hive_tokens.* setting can be invented
SET hive_tokens.something = 'x';
-- holding the token is what it takes to verify it
SELECT title, organization_id FROM hive_tokens.verify(:'t');
SELECT hive_tokens.verify_reason(:'t');
SELECT 'hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ'::hive_tokens.access_token;
RESET ROLE;

-- An application role: granted issue/revoke and the view (and, to manage tokens without a
-- principal, hive_tokens_admin), still no hashes or internals.
GRANT EXECUTE ON FUNCTION hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid),
                          hive_tokens.revoke(uuid) TO regress_ht_app;
GRANT SELECT ON hive_tokens.tokens TO regress_ht_app;
GRANT hive_tokens_admin TO regress_ht_app;
SET ROLE regress_ht_app;
SELECT token_id AS a_id, token AS a FROM hive_tokens.issue(:'org', 'from the app', '{usage:report}') \gset
SELECT title, created_by FROM hive_tokens.tokens WHERE id = :'a_id';
SELECT hive_tokens.revoke(:'a_id') AS app_revoked;
SELECT hash FROM hive_tokens.access_tokens;
SELECT hive_tokens.hash(:'t');
SELECT * FROM hive_tokens_internal.mint('organization');
RESET ROLE;

-- What PUBLIC can execute in the extension: the types' I/O, verification and the scopes
-- operators and functions; nothing that issues, revokes, hashes or changes the catalog.
SELECT p.oid::regprocedure AS public_executable
  FROM pg_proc AS p
  JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
 WHERE has_function_privilege('regress_ht_nobody', p.oid, 'EXECUTE')
 ORDER BY 1::text;
-- Schema hive_tokens is the API: every type I/O, operator and index support, trigger and helper
-- function is in hive_tokens_internal, and the extension ships no test hook.
SELECT p.oid::regprocedure AS api
  FROM pg_proc AS p
  JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
 WHERE p.pronamespace = 'hive_tokens'::regnamespace
 ORDER BY p.oid::regprocedure::text;
SELECT count(*) AS test_hooks
  FROM pg_proc AS p
  JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
 WHERE p.proname LIKE '%selftest%' OR p.probin NOT LIKE '$libdir/hive_tokens';
-- Every SECURITY DEFINER function pins search_path.
SELECT p.oid::regprocedure AS security_definer, p.proconfig
  FROM pg_proc AS p
  JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
 WHERE p.prosecdef
 ORDER BY 1::text;
-- Every object of the extension has a comment.
SELECT pg_describe_object(d.classid, d.objid, 0) AS without_comment
  FROM pg_depend AS d
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
 WHERE d.deptype = 'e' AND obj_description(d.objid, d.classid::regclass::text) IS NULL
 ORDER BY 1;
-- And every column of its tables and views.
SELECT a.attrelid::regclass AS relation, a.attname AS column_without_comment
  FROM pg_depend AS d
  JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'hive_tokens'
  JOIN pg_attribute AS a ON a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_class AS c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
 WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass AND col_description(a.attrelid, a.attnum) IS NULL
 ORDER BY 1::text, 2;

DROP OWNED BY regress_ht_app;
DROP ROLE regress_ht_nobody;
DROP ROLE regress_ht_app;
