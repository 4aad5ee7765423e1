-- Type hive_tokens.scopes, the permission catalog, operators, opclasses, casts and functions.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SET search_path = hive_tokens, public;

-- The catalog: Hive's permissions, level by level, plus the retired ones.
SELECT level, count(*) FILTER (WHERE NOT retired) AS active, count(*) FILTER (WHERE retired) AS retired,
       count(*) FILTER (WHERE assignable) AS assignable
  FROM permissions GROUP BY level ORDER BY min(bit_number);
SELECT bit_number, name, level, "group", label, depends_on FROM permissions WHERE assignable ORDER BY bit_number;
SELECT name FROM permissions WHERE retired ORDER BY bit_number;

-- Input and canonical output (catalog order, no duplicates, whitespace ignored).
SELECT '{schemaVersion:publish,usage:report}'::scopes AS canonical;
SELECT '  {  usage:report ,	schemaVersion:publish , usage:report }  '::scopes AS spaces_and_duplicates;
SELECT '{"usage:report"}'::scopes AS quoted;
SELECT '{}'::scopes AS empty, '{ }'::scopes AS empty_with_space, permission_count('{}');
-- Wildcards: Hive's * and <scope>:*, and our *:<action>. Retired permissions are never included.
SELECT '{schemaCheck:*}'::scopes AS scope_wildcard;
SELECT '{*:describe}'::scopes AS action_wildcard;
SELECT '{appDeployment:*}'::scopes AS skips_retired_describe;
SELECT permission_count('{*}') AS everything, '{*}'::scopes = '{*:*}'::scopes AS same,
       '{*}'::scopes && retired_scopes() AS includes_retired;
-- A retired name is still accepted as input (stored grants must dump and restore); issue()
-- refuses it in new grants (sql/tokens.sql).
SELECT '{member:assignRole}'::scopes AS retired_input;
-- output parses back to the same value
SELECT s::text::scopes = s AS round_trip FROM (VALUES ('{*}'::scopes), ('{}'), ('{member:assignRole,usage:report}')) AS v(s);

-- Bad input: SQLSTATE 22P02, the bad entry named (cut when long), the closest name suggested.
SELECT '{usage:reprot}'::scopes;
\echo :LAST_ERROR_SQLSTATE
SELECT '{Usage:Report}'::scopes;
SELECT '{schemaVersion:publish,schemaVersion:pubish}'::scopes;
SELECT '{usage}'::scopes;
SELECT 'usage:report'::scopes;
SELECT '{usage:report'::scopes;
SELECT ''::scopes;
SELECT '{usage:report,,traces:report}'::scopes;
SELECT '{,}'::scopes;
SELECT '{nosuch:*}'::scopes;
SELECT '{*:nosuch}'::scopes;
SELECT ('{' || repeat('x', 10240) || ':read}')::scopes;
DO $$
BEGIN
    PERFORM ('{' || repeat('x', 10240) || ':read}')::hive_tokens.scopes;
EXCEPTION WHEN invalid_text_representation THEN
    RAISE NOTICE 'message of % characters', length(SQLERRM);
END $$;

-- Operators, in both argument orders where that means something.
\set a '''{usage:report,traces:report,schemaCheck:create}'''
\set b '''{usage:report,schemaVersion:publish}'''
SELECT :a::scopes ? 'usage:report' AS has, :a::scopes ? 'schemaVersion:publish' AS has_not,
       :a::scopes ? 'schemaCheck:*' AS has_all_of_scope, :a::scopes ? '*:report' AS has_both_reports,
       '{}'::scopes ? 'usage:report' AS empty_has;
SELECT :a::scopes ?| ARRAY['schemaVersion:publish', 'traces:report'] AS any_yes,
       :a::scopes ?| ARRAY['schemaVersion:publish'] AS any_no,
       :a::scopes ?| '{}'::text[] AS any_empty,
       :a::scopes ?& ARRAY['usage:report', 'traces:report'] AS all_yes,
       :a::scopes ?& ARRAY['usage:report', 'schemaVersion:publish'] AS all_no,
       :a::scopes ?& '{}'::text[] AS all_empty;
SELECT :a::scopes @> :b::scopes AS a_contains_b, :b::scopes <@ :a::scopes AS b_in_a,
       :a::scopes @> '{usage:report}'::scopes AS a_contains_one, '{usage:report}'::scopes <@ :a::scopes AS one_in_a,
       :a::scopes @> '{}'::scopes AS contains_empty, '{}'::scopes <@ :b::scopes AS empty_in_b;
SELECT :a::scopes && :b::scopes AS a_overlaps_b, :b::scopes && :a::scopes AS b_overlaps_a,
       :a::scopes && '{schemaVersion:publish}'::scopes AS no_overlap, '{}'::scopes && '{}'::scopes AS empty_overlap;
SELECT :a::scopes | :b::scopes AS a_or_b, :b::scopes | :a::scopes AS b_or_a;
SELECT :a::scopes & :b::scopes AS a_and_b, :b::scopes & :a::scopes AS b_and_a;
SELECT :a::scopes - :b::scopes AS a_minus_b, :b::scopes - :a::scopes AS b_minus_a;
SELECT :a::scopes = :b::scopes AS eq, :b::scopes = :a::scopes AS eq_rev,
       '{traces:report,usage:report}'::scopes = '{usage:report,traces:report}'::scopes AS eq_any_order,
       :a::scopes <> :b::scopes AS ne, :b::scopes <> :a::scopes AS ne_rev;
SELECT :a::scopes < :b::scopes AS lt, :b::scopes > :a::scopes AS gt_rev, :a::scopes <= :a::scopes AS le,
       :a::scopes >= :a::scopes AS ge, hive_tokens_internal.scopes_cmp(:a, :b) AS cmp, hive_tokens_internal.scopes_cmp(:b, :a) AS cmp_rev;
-- NULL in, NULL out
SELECT NULL::scopes ? 'usage:report' IS NULL AS n1, (NULL::scopes | :a::scopes) IS NULL AS n2, (:a::scopes @> NULL) IS NULL AS n3;
-- the function forms, for drivers that treat ? as a placeholder
SELECT has_permission(:a, 'usage:report'), has_any_permission(:a, ARRAY['schemaVersion:publish']),
       has_all_permissions(:a, ARRAY['usage:report', 'traces:report']);
-- unknown permissions on the right are an error, not a silent false; NULL elements too
SELECT :a::scopes ? 'usage:reprot';
SELECT :a::scopes ?| ARRAY['usage:report', NULL];
\echo :LAST_ERROR_SQLSTATE
SELECT :a::scopes ?& ARRAY['nope:nope'];

-- Casts to and from text[]; text[] is assigned to a scopes column implicitly.
SELECT :a::scopes::text[] AS to_array, permission_names('{}') AS empty_array;
SELECT ARRAY['usage:report', 'schemaCheck:*']::scopes AS from_array, scopes(ARRAY['*:report']) AS via_function;
SELECT ARRAY['usage:report', NULL]::scopes;
\echo :LAST_ERROR_SQLSTATE
SELECT ARRAY['usage report']::scopes;
CREATE TEMP TABLE grants (id int, s scopes);
INSERT INTO grants VALUES (1, ARRAY['usage:report']), (2, '{schemaVersion:publish}');
SELECT * FROM grants ORDER BY id;

-- Catalog functions.
SELECT scopes_of_level('service') AS service, scopes_of_level('appDeployment') AS app_deployment;
SELECT scopes_of_level('team');
SELECT depends_closure('{member:modify,usage:report}') AS closure, missing_dependencies('{member:modify}') AS missing,
       missing_dependencies('{member:modify,member:describe}') AS none_missing;
SELECT permission_count(assignable_scopes()) AS assignable, retired_scopes() AS retired;
SELECT * FROM labels('{schemaVersion:publish,usage:report,member:describe}');

-- btree and hash opclasses: DISTINCT, GROUP BY, ORDER BY, merge and hash joins, unique index.
CREATE TEMP TABLE t1 AS
  SELECT g AS id, (ARRAY['{usage:report}', '{schemaVersion:publish}', '{usage:report,traces:report}', '{}'])[1 + g % 4]::scopes AS s
    FROM generate_series(1, 400) AS g;
ANALYZE t1;
SELECT s, count(*) FROM t1 GROUP BY s ORDER BY s;
SELECT count(DISTINCT s) FROM t1;
CREATE TEMP TABLE t2 AS SELECT DISTINCT s FROM t1;
SET enable_hashjoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM t1 JOIN t2 USING (s);
SELECT count(*) AS merge_join FROM t1 JOIN t2 USING (s);
RESET enable_hashjoin; SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM t1 JOIN t2 USING (s);
SELECT count(*) AS hash_join FROM t1 JOIN t2 USING (s);
RESET enable_mergejoin; RESET enable_nestloop;
CREATE UNIQUE INDEX ON t2 (s);
INSERT INTO t2 VALUES ('{traces:report,usage:report}');
CREATE INDEX ON t1 USING hash (s);

-- GIN: 100k rows; ?, @>, &&, ?|, ?& and <@ use the index and agree with a sequential scan.
CREATE TEMP TABLE big AS
  SELECT g AS id,
         CASE WHEN g % 1000 = 0 THEN '{usage:report,traces:report}'::scopes
              WHEN g % 100 = 0 THEN '{schemaVersion:publish,schemaCheck:create}'::scopes
              WHEN g % 7 = 0 THEN '{}'::scopes
              ELSE '{project:describe}'::scopes END AS s
    FROM generate_series(1, 100000) AS g;
CREATE INDEX big_s_gin ON big USING gin (s);
ANALYZE big;
EXPLAIN (COSTS OFF) SELECT count(*) FROM big WHERE s ? 'usage:report';
EXPLAIN (COSTS OFF) SELECT count(*) FROM big WHERE s @> '{schemaVersion:publish}';
EXPLAIN (COSTS OFF) SELECT count(*) FROM big WHERE s && '{traces:report,schemaCheck:create}';
EXPLAIN (COSTS OFF) SELECT count(*) FROM big WHERE s ?| ARRAY['traces:report'];
EXPLAIN (COSTS OFF) SELECT count(*) FROM big WHERE s ?& ARRAY['usage:report', 'traces:report'];
CREATE TEMP TABLE q (op text, n bigint);
INSERT INTO q SELECT 'index ?', count(*) FROM big WHERE s ? 'usage:report';
INSERT INTO q SELECT 'index @>', count(*) FROM big WHERE s @> '{schemaVersion:publish}';
INSERT INTO q SELECT 'index &&', count(*) FROM big WHERE s && '{traces:report,schemaCheck:create}';
INSERT INTO q SELECT 'index ?|', count(*) FROM big WHERE s ?| ARRAY['traces:report'];
INSERT INTO q SELECT 'index ?&', count(*) FROM big WHERE s ?& ARRAY['usage:report', 'traces:report'];
INSERT INTO q SELECT 'index <@', count(*) FROM big WHERE s <@ '{usage:report,traces:report}';
INSERT INTO q SELECT 'index @> {}', count(*) FROM big WHERE s @> '{}';
SET enable_bitmapscan = off; SET enable_indexscan = off;
INSERT INTO q SELECT 'seq ?', count(*) FROM big WHERE s ? 'usage:report';
INSERT INTO q SELECT 'seq @>', count(*) FROM big WHERE s @> '{schemaVersion:publish}';
INSERT INTO q SELECT 'seq &&', count(*) FROM big WHERE s && '{traces:report,schemaCheck:create}';
INSERT INTO q SELECT 'seq ?|', count(*) FROM big WHERE s ?| ARRAY['traces:report'];
INSERT INTO q SELECT 'seq ?&', count(*) FROM big WHERE s ?& ARRAY['usage:report', 'traces:report'];
INSERT INTO q SELECT 'seq <@', count(*) FROM big WHERE s <@ '{usage:report,traces:report}';
INSERT INTO q SELECT 'seq @> {}', count(*) FROM big WHERE s @> '{}';
RESET enable_bitmapscan; RESET enable_indexscan;
SELECT substr(i.op, 7) AS op, i.n AS with_index, s.n AS without_index, i.n = s.n AS agree
  FROM q AS i JOIN q AS s ON s.op = 'seq ' || substr(i.op, 7) WHERE i.op LIKE 'index %' ORDER BY 1;

-- Registering permissions: the next free bit, visible at once here and, without reconnecting,
-- in another session.
SELECT format('dbname=%s host=%s port=%s', current_database(),
              current_setting('unix_socket_directories'), current_setting('port')) AS conn \gset
SELECT dblink_connect('other', :'conn');
SELECT * FROM dblink('other', $$SELECT hive_tokens.permission_count('{*}')$$) AS r(active_before int);
SELECT register_permission('invoice:read', 'organization', 'Billing', 'Read invoices', ARRAY['billing:describe']) AS bit;
SELECT register_permission('invoice:pay', 'organization', 'Billing', 'Pay invoices', ARRAY['invoice:read'], assignable => false) AS bit;
SELECT '{invoice:*}'::scopes AS mine, depends_closure('{invoice:pay}') AS closure;
SELECT * FROM dblink('other', $$SELECT '{invoice:*}'::hive_tokens.scopes::text$$) AS r(other_session text);
-- bad registrations
SELECT register_permission('invoice:read', 'organization', 'Billing', 'again');
\echo :LAST_ERROR_SQLSTATE
SELECT register_permission('invoice', 'organization', 'Billing', 'no action');
SELECT register_permission('invoice:void', 'team', 'Billing', 'bad level');
SELECT register_permission('invoice:void', 'organization', 'Billing', 'bad dependency', ARRAY['invoice:nope']);
SELECT register_permission(repeat('x', 10240) || ':y', 'organization', 'Billing', 'huge');
-- retiring: stored values keep the name, wildcards and new input via wildcards drop it
CREATE TEMP TABLE stored AS SELECT '{invoice:read,invoice:pay}'::scopes AS s;
SELECT retire_permission('invoice:pay') AS retired, retire_permission('invoice:pay') AS again;
SELECT s AS still_printed FROM stored;
SELECT '{invoice:*}'::scopes AS wildcard_now;
SELECT * FROM dblink('other', $$SELECT '{invoice:*}'::hive_tokens.scopes::text$$) AS r(other_session text);
SELECT retire_permission('invoice:nope');
-- the catalog is append-only
DELETE FROM permissions WHERE name = 'invoice:pay';
\echo :LAST_ERROR_SQLSTATE
UPDATE permissions SET name = 'invoice:paid' WHERE name = 'invoice:pay';
UPDATE permissions SET bit_number = 200 WHERE name = 'invoice:pay';
TRUNCATE permissions;
UPDATE permissions SET label = 'Pay an invoice' WHERE name = 'invoice:pay';
SELECT label FROM labels('{invoice:pay}');

-- Binary I/O carries names, not bits: COPY BINARY into a database whose catalog numbers the
-- same permission differently maps it by name.
SELECT current_setting('data_directory') || '/ht_scopes.copy' AS copyfile \gset
COPY (SELECT '{usage:report,invoice:read}'::scopes) TO :'copyfile' (FORMAT binary);
SELECT position('invoice:read'::bytea IN hive_tokens_internal.scopes_send('{usage:report,invoice:read}')) > 0 AS names_on_the_wire;
SELECT dblink_exec('other', 'CREATE DATABASE ht_scopes_other');
SELECT format('dbname=ht_scopes_other host=%s port=%s', current_setting('unix_socket_directories'),
              current_setting('port')) AS conn2 \gset
SELECT dblink_connect('db2', :'conn2');
SELECT dblink_exec('db2', 'CREATE EXTENSION hive_tokens');
SELECT * FROM dblink('db2', $$SELECT hive_tokens.register_permission('zeta:first', 'organization', 'Z', 'Z')$$) AS r(bit int2);
SELECT * FROM dblink('db2', $$SELECT hive_tokens.register_permission('invoice:read', 'organization', 'Billing', 'Read invoices')$$) AS r(bit int2);
SELECT dblink_exec('db2', format('CREATE TABLE copied (s hive_tokens.scopes); COPY copied FROM %L (FORMAT binary)', :'copyfile'));
SELECT * FROM dblink('db2', $$SELECT s::text, s OPERATOR(hive_tokens.?) 'invoice:read', s OPERATOR(hive_tokens.?) 'zeta:first' FROM copied$$)
    AS r(in_db2 text, has_invoice_read boolean, has_zeta boolean);
-- a name the target does not know is an error, never another permission
COPY (SELECT '{invoice:pay}'::scopes) TO :'copyfile' (FORMAT binary);
SELECT dblink_exec('db2', format('COPY copied FROM %L (FORMAT binary)', :'copyfile'));
SELECT dblink_disconnect('db2');
SELECT dblink_exec('other', 'DROP DATABASE ht_scopes_other');
SELECT dblink_disconnect('other');
RESET search_path;

-- stored_scopes: the storage form (access_tokens.scopes). Its text names every permission with its
-- bit, so it loads before or without the catalog, and never as another permission.
SET search_path = hive_tokens, public;
SELECT '{usage:report,invoice:read}'::scopes::stored_scopes AS stored;
SELECT ('{usage:report,invoice:read}'::scopes::stored_scopes)::text::stored_scopes::scopes AS round_trip;
-- implicitly a scopes value: the operators apply
SELECT '{usage:report@24}'::stored_scopes ? 'usage:report' AS has, permission_count('{usage:report@24}'::stored_scopes) AS n;
-- a known name takes this catalog's bit, whatever bit the input gave
SELECT '{usage:report@200}'::stored_scopes::scopes AS mapped_by_name;
-- an unknown name keeps a free bit (the catalog is not restored yet); a taken bit is an error
SELECT '{future:perm@250}'::stored_scopes AS kept, permission_count('{future:perm@250}'::stored_scopes) AS n;
SELECT '{future:perm@24}'::stored_scopes;
SELECT '{@24}'::stored_scopes;
-- plain names (0.1 dumped tokens so) and bad input
SELECT '{usage:report,schemaVersion:publish}'::stored_scopes AS plain_names;
-- a plain name this catalog lacks: 0.1 dumped names without bits, restore the catalog first
SELECT '{invoice:refund}'::stored_scopes;
SELECT '{usage:report@256}'::stored_scopes;
SELECT '{usage:report@x}'::stored_scopes;
SELECT 'usage:report@24'::stored_scopes;
SELECT E'{bad\nname@250}'::stored_scopes;
-- register_permission() never hands out a bit a stored token holds, even one the catalog lacks
BEGIN;
SELECT token_id AS held_id, token AS held FROM hive_tokens.issue('00000000-0000-4000-8000-000000000001', 'held bit', '{usage:report}') \gset
ALTER TABLE hive_tokens.access_tokens DISABLE TRIGGER access_tokens_immutable;  -- a row written by hand
UPDATE hive_tokens.access_tokens SET scopes = '{usage:report@24,future:perm@51}' WHERE id = :'held_id';
ALTER TABLE hive_tokens.access_tokens ENABLE TRIGGER access_tokens_immutable;
-- (the bit grants nothing and is left out of what verify() shows; printing it is a clear error)
SELECT scopes FROM hive_tokens.verify(:'held');
SAVEPOINT listing;
SELECT scopes FROM hive_tokens.tokens WHERE id = :'held_id';
ROLLBACK TO SAVEPOINT listing;
-- (51 would be next: it is held, so 52)
SELECT hive_tokens.register_permission('later:perm', 'organization', 'L', 'L') AS later_bit;
-- a stored_scopes column of any table holds its bits as well
CREATE TEMP TABLE member_grants (s stored_scopes);
INSERT INTO member_grants VALUES ('{future:other@53}');
SELECT hive_tokens.register_permission('later:again', 'organization', 'L', 'L') AS later_again_bit;
ROLLBACK;
-- so does one of a domain over it, an array of it, a composite holding it, at any depth, and a
-- plain scopes column (stored_scopes casts to it)
BEGIN;
CREATE DOMAIN grant_scopes AS stored_scopes;
CREATE TYPE member_grant AS (who text, granted grant_scopes);
CREATE TEMP TABLE by_domain (g grant_scopes);
CREATE TEMP TABLE by_array (g stored_scopes[]);
CREATE TEMP TABLE by_composite (m member_grant[]);
CREATE TEMP TABLE by_scopes (s scopes);
INSERT INTO by_domain VALUES ('{future:a@51}');
SELECT hive_tokens.register_permission('later:a', 'organization', 'L', 'L') AS after_domain;
INSERT INTO by_array VALUES (ARRAY['{usage:report@24}', '{future:b@53}']::stored_scopes[]);
SELECT hive_tokens.register_permission('later:b', 'organization', 'L', 'L') AS after_array;
INSERT INTO by_composite VALUES (ARRAY[ROW('bob', '{future:c@55}')::member_grant]);
SELECT hive_tokens.register_permission('later:c', 'organization', 'L', 'L') AS after_composite;
INSERT INTO by_scopes SELECT '{future:d@57}'::stored_scopes;
SELECT hive_tokens.register_permission('later:d', 'organization', 'L', 'L') AS after_scopes;
-- the bits they hold are still undefined (restoring their permissions names them), not the new ones
SELECT g FROM by_domain UNION ALL SELECT g[2] FROM by_array UNION ALL SELECT (m[1]).granted FROM by_composite
 UNION ALL SELECT s::stored_scopes FROM by_scopes;
-- a materialized view not yet populated is skipped, not an error
CREATE MATERIALIZED VIEW unpopulated AS SELECT NULL::stored_scopes AS s WITH NO DATA;
SELECT hive_tokens.register_permission('later:e', 'organization', 'L', 'L') AS with_unpopulated_view;
-- Held bits are skipped one by one: filling the catalog leaves them, and the error says which
-- column holds them; once nothing holds them, they are handed out.
CREATE FUNCTION pg_temp.fill() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    n int := 0;
    msg text;
    detail text;
BEGIN
    LOOP
        BEGIN
            PERFORM hive_tokens.register_permission('fill:p' || (SELECT count(*) FROM hive_tokens.permissions), 'organization', 'F', 'F');
        EXCEPTION WHEN program_limit_exceeded THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
            RETURN format('%s registered; %s (%s)', n, msg, coalesce(nullif(detail, ''), 'no detail'));
        END;
        n := n + 1;
    END LOOP;
END $f$;
SELECT pg_temp.fill() AS filled;
SELECT count(*) AS undefined_bits, array_agg(b ORDER BY b) AS held_back
  FROM generate_series(0, 255) AS b WHERE b NOT IN (SELECT bit_number FROM hive_tokens.permissions);
DELETE FROM by_domain;
DELETE FROM by_array;
DELETE FROM by_composite;
DELETE FROM by_scopes;
SELECT hive_tokens.register_permission('later:f', 'organization', 'L', 'L') AS freed_bit;
SELECT pg_temp.fill() AS filled;
ROLLBACK;
-- Registration reads stored values with their types' output functions, never through casts: a
-- role that owns a composite type holding permissions cannot make it run its own code.
CREATE ROLE regress_ht_caster;
CREATE SCHEMA caster AUTHORIZATION regress_ht_caster;
SET ROLE regress_ht_caster;
CREATE TYPE caster.holder AS (s hive_tokens.scopes);
CREATE FUNCTION caster.to_text(caster.holder) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN RAISE EXCEPTION 'the cast ran as %', current_user; END $f$;
CREATE CAST (caster.holder AS text) WITH FUNCTION caster.to_text(caster.holder);
CREATE TABLE caster.t (h caster.holder);
INSERT INTO caster.t VALUES (ROW('{usage:report}'));
-- nor through the planner, which folds a table's index predicates and expressions (its owner's
-- IMMUTABLE functions, called with constants) when a query reads the table
CREATE FUNCTION caster.trap(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'the trap ran as %', current_user;
    END IF;
    RETURN true;
END $f$;
CREATE TABLE caster.indexed (s hive_tokens.stored_scopes, x int);
CREATE INDEX ON caster.indexed (x) WHERE caster.trap(1);
CREATE INDEX ON caster.indexed ((x + CASE WHEN caster.trap(2) THEN 0 ELSE 1 END));
INSERT INTO caster.indexed VALUES ('{usage:report}', 1);
RESET ROLE;
BEGIN;
SELECT hive_tokens.register_permission('later:cast', 'organization', 'L', 'L') AS registered_without_the_cast;
ROLLBACK;
DROP SCHEMA caster CASCADE;
DROP ROLE regress_ht_caster;
-- Nor through a foreign table: the scan reads every table holding rows itself, with ONLY, never
-- a foreign partition or child (whose wrapper would run as the function's owner; this one would
-- fail to open its file). A column named like the scan's own names changes nothing.
CREATE EXTENSION file_fdw;
CREATE SERVER regress_scan_files FOREIGN DATA WRAPPER file_fdw;
CREATE TABLE scan_parent (s stored_scopes, b int) PARTITION BY LIST (b);
CREATE TABLE scan_local PARTITION OF scan_parent FOR VALUES IN (1);
CREATE FOREIGN TABLE scan_remote PARTITION OF scan_parent FOR VALUES IN (2)
    SERVER regress_scan_files OPTIONS (filename '/nonexistent/hive_tokens_scan');
CREATE TABLE scan_child_parent (s stored_scopes[], b int);
CREATE FOREIGN TABLE scan_child () INHERITS (scan_child_parent) SERVER regress_scan_files OPTIONS (filename '/nonexistent/hive_tokens_scan');
INSERT INTO scan_local VALUES ('{future:held@51}', 1);
INSERT INTO scan_child_parent VALUES (ARRAY['{future:held2@52}']::stored_scopes[], 3);
BEGIN;
SELECT hive_tokens.register_permission('later:fdw', 'organization', 'L', 'L') AS skips_51_and_52;
ROLLBACK;
DROP TABLE scan_parent, scan_child_parent CASCADE;
DROP SERVER regress_scan_files;
DROP EXTENSION file_fdw;
-- Ranges and multiranges over a set are walked too (a scopes value holds what stored_scopes held)
BEGIN;
CREATE TYPE scopes_range AS RANGE (subtype = scopes);
CREATE TEMP TABLE by_range (r scopes_range, m scopes_multirange);
INSERT INTO by_range VALUES (scopes_range('{}', '{future:r@51}'::stored_scopes::scopes, '[]'),
                             scopes_multirange(scopes_range('{future:m@52}'::stored_scopes::scopes, NULL)));
SELECT hive_tokens.register_permission('later:range', 'organization', 'L', 'L') AS skips_51_and_52;
ROLLBACK;
-- Only a restoring role (a superuser, a member of hive_tokens_admin) writes bits the catalog does
-- not define: anyone else could squat bits, or hold one a registration would then hand out.
CREATE ROLE regress_ht_squatter;
SET ROLE regress_ht_squatter;
SELECT '{future:squat@60}'::stored_scopes;
\echo :LAST_ERROR_SQLSTATE
SELECT '{@60}'::stored_scopes;
SELECT '{usage:report@24}'::stored_scopes AS defined_bits_are_fine;
RESET ROLE;
GRANT hive_tokens_admin TO regress_ht_squatter;
SET ROLE regress_ht_squatter;
SELECT '{future:restored@60}'::stored_scopes AS as_admin;
RESET ROLE;
DROP ROLE regress_ht_squatter;
-- The lock that keeps registrations out lasts until the transaction ends, even when the
-- subtransaction that read the value rolls back (the value lives on in a variable).
BEGIN;
DO $$
DECLARE v stored_scopes;
BEGIN
    BEGIN
        v := '{future:kept@60}';
        RAISE EXCEPTION 'roll back the subtransaction';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    RAISE NOTICE 'value % kept', v::text;
END $$;
SELECT count(*) AS holding_registrations_off FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = 1751742053 AND objsubid = 2 AND mode = 'ShareLock';
ROLLBACK;
-- A registration rolled back inside a savepoint keeps its locks to the end of the transaction:
-- a value made while its bit was defined may be stored after the rollback.
BEGIN;
DO $$
BEGIN
    BEGIN
        PERFORM hive_tokens.register_permission('ghost:perm', 'organization', 'G', 'G');
        RAISE EXCEPTION 'roll back the registration';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
END $$;
SELECT mode, count(*) AS locks FROM pg_locks
 WHERE pid = pg_backend_pid() AND granted
   AND ((locktype = 'advisory' AND classid = 1751742053 AND objid = 1651078259 AND mode = 'ExclusiveLock')
        OR (locktype = 'relation' AND relation = 'hive_tokens.permissions'::regclass AND mode = 'ShareRowExclusiveLock'))
 GROUP BY mode ORDER BY mode;
ROLLBACK;
-- Types nested deeper than any limit are walked fully, and wide types referenced many times are
-- worked out once each (a chain 70 composites deep around a set; more domains than a small memo held)
BEGIN;
DO $$
BEGIN
    EXECUTE 'CREATE TYPE deep1 AS (s stored_scopes)';
    FOR i IN 2..70 LOOP
        EXECUTE format('CREATE TYPE deep%s AS (inner_value deep%s)', i, i - 1);
    END LOOP;
    FOR i IN 1..140 LOOP
        EXECUTE format('CREATE DOMAIN filler%s AS int', i);
    END LOOP;
    EXECUTE 'CREATE TYPE wide0 AS (' || (SELECT string_agg(format('f%s filler%s', i, i), ', ') FROM generate_series(1, 140) AS i) || ')';
    FOR k IN 1..3 LOOP
        EXECUTE format('CREATE TYPE wide%s AS (%s)', k,
                       (SELECT string_agg(format('w%s wide%s', i, k - 1), ', ') FROM generate_series(1, 10) AS i));
    END LOOP;
END $$;
CREATE TEMP TABLE deep_and_wide (w wide3, d deep70);
DO $$
DECLARE v text := '''{future:deep@51}''::stored_scopes';
BEGIN
    FOR i IN 1..70 LOOP
        v := format('ROW(%s)::deep%s', v, i);
    END LOOP;
    EXECUTE 'INSERT INTO deep_and_wide (d) VALUES (' || v || ')';
END $$;
SET LOCAL statement_timeout = '60s';
SELECT hive_tokens.register_permission('later:deep', 'organization', 'L', 'L') AS skips_51;
ROLLBACK;
-- a parallel worker cannot hold an undefined bit against registrations: refused there
BEGIN;
CREATE TABLE undefined_text (t text);
INSERT INTO undefined_text VALUES ('{"{future:par@52}"}');
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
-- (array_in is parallel safe, so the element input runs in the worker)
CREATE TABLE parallel_read AS SELECT t::stored_scopes[] AS s FROM undefined_text;
ROLLBACK;
-- a transaction snapshot would miss what writers committed while registration waited for them
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT hive_tokens.register_permission('later:rr', 'organization', 'L', 'L');
ROLLBACK;
RESET search_path;
