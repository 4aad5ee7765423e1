-- Hostile sizes: every input path refuses input over its limit before expanding it (so work and
-- memory stay proportional to what the caller already built), says so with a clear SQLSTATE,
-- shows at most a short escaped excerpt, and a long loop over input can be cancelled.
-- (Binary input of hrn, scopes and access_token: test/t/004_binary_input.pl.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
-- This suite keeps temporary tables (and statements prepared with SQL) across transactions;
-- authenticate() refuses such a session by default (tested at the end of sql/principal.sql).
SET hive_tokens.allow_session_objects = on;
RESET client_min_messages;
-- the backend's peak resident memory, in MB (Linux)
CREATE FUNCTION pg_temp.peak_mb() RETURNS bigint LANGUAGE sql
    AS $$ SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::bigint / 1024 $$;
SET statement_timeout = '60s';

-- A 50 MB resource name: refused at once (PostgreSQL's own copies of the string are ~150 MB; a
-- parser that split it first needed over a gigabyte).
SELECT ('hrn:*:target/' || repeat('/', 50000000))::hive_tokens.hrn;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.peak_mb() < 400 AS hrn_memory_bounded;
SELECT ('hrn:*:' || repeat('a', 513))::hive_tokens.hrn;
-- the longest valid name is accepted
SELECT length(('hrn:00000000-0000-4000-8000-0000000000a1:target/00000000-0000-4000-8000-0000000000c1/appDeployment/'
               || repeat('n', 200))::hive_tokens.hrn::text) AS longest_valid;

-- Scopes: a literal over 64 kB, a 50 MB entry for ?, a 50 MB action name.
SELECT ('{' || repeat('usage:report,', 5000000) || 'usage:report}')::hive_tokens.scopes;
\echo :LAST_ERROR_SQLSTATE
SELECT '{usage:report}'::hive_tokens.scopes OPERATOR(hive_tokens.?) (repeat('x', 50000000) || ':read');
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.can(repeat('x', 50000000), '00000000-0000-4000-8000-0000000000a1');
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.register_permission(repeat('x', 10000000) || ':read', 'organization', 'G', 'L');
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.scopes_of_level(repeat('x', 10000000));
-- control characters and invalid bytes in an entry are escaped in the message, and so are C1
-- controls, bidirectional overrides and invisible characters, in C and in PL/pgSQL messages
SELECT (E'{usage:report,bad\nname:x}')::hive_tokens.scopes;
SELECT ARRAY[E'bad\u0085\u202Eevil:x']::hive_tokens.scopes;
SELECT hive_tokens.policy_expression(E'x\nERROR:  fake\x1b[31m\u2066', 'organization_id');
SELECT hive_tokens.register_permission(E'a:b\n', 'organization', 'G', 'L');

-- Tokens: a 50 MB string is simply not a token.
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(repeat('hvo2_', 10000000))) AS not_a_token,
       hive_tokens.verify_reason(repeat('hvo2_', 10000000)) AS reason;
SELECT repeat('hvo2_', 10000000)::hive_tokens.access_token;

-- JSON: a resource assignment over 4 MB is refused by every function that takes one, before it
-- is converted; one just under the limit is accepted.
CREATE TEMP TABLE docs AS
SELECT n, jsonb_build_object('mode', 'granular', 'projects',
           (SELECT jsonb_agg(jsonb_build_object('type', 'project', 'id', ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                                                'targets', '{"mode": "*"}'::jsonb))
              FROM generate_series(1, n) AS g)) AS doc
  FROM (VALUES (35000), (60000)) AS sizes(n);
SELECT jsonb_array_length(hive_tokens.normalize_resources(doc) -> 'projects') AS projects FROM docs WHERE n = 35000;
SELECT hive_tokens.normalize_resources(doc) FROM docs WHERE n = 60000;
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.intersect_resources('{"mode": "*"}', doc) FROM docs WHERE n = 60000;
SELECT hive_tokens.policy_statements('{project:describe}', doc, '00000000-0000-4000-8000-0000000000a1') FROM docs WHERE n = 60000;
SELECT hive_tokens.evaluate(jsonb_build_array(doc), 'project:describe', '00000000-0000-4000-8000-0000000000a1',
                            '00000000-0000-4000-8000-0000000000b1') FROM docs WHERE n = 60000;
SELECT hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'too big', '{project:describe}', doc) FROM docs WHERE n = 60000;
BEGIN;
SELECT hive_tokens.act_as_member('00000000-0000-4000-8000-0000000000a1', '{project:describe}', doc) FROM docs WHERE n = 60000;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A long loop over input honours statement_timeout (and query cancel), and the session goes on.
CREATE TEMP TABLE big AS SELECT array_fill('usage:report'::text, ARRAY[5000000]) AS a;
SET statement_timeout = '100ms';
SELECT hive_tokens.has_any_permission('{}', a) FROM big;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT hive_tokens.has_all_permissions('{usage:report}', ARRAY['usage:report']) AS session_fine;
-- Numbers in jsonb are never printed while it is read (1e131000 is 16 bytes stored, 131 kB
-- printed): 20000 of them are read at once, in little memory (unknown keys are dropped).
SELECT hive_tokens.normalize_resources(('{"mode": "*", "x": [' || string_agg('1e131000', ',') || ']}')::jsonb)
  FROM generate_series(1, 20000);
SELECT hive_tokens.normalize_resources('{"mode": 1e131000}');
-- Registration reads stored sets without printing them: a column of 1.1 million full sets in one
-- compressed array (each prints as a kilobyte of names) is read in little memory.
CREATE TABLE huge_holder AS
  SELECT array_fill((SELECT '{' || string_agg(name, ',') || '}' FROM hive_tokens.permissions WHERE NOT retired)::hive_tokens.stored_scopes,
                    ARRAY[1100000]) AS a;
SELECT pg_column_size(a) < 10000000 AS stored_compressed FROM huge_holder;
SET work_mem = '1MB';
BEGIN;
SELECT hive_tokens.register_permission('huge:holder', 'organization', 'G', 'L') > 0 AS registered;
ROLLBACK;
RESET work_mem;
DROP TABLE huge_holder;
