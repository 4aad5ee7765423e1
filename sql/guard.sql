-- The C++/PostgreSQL boundary: every C++ exception becomes a clean SQL error with its mapped
-- SQLSTATE, C++ destructors run, and the backend survives to answer the next query.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
-- The self-test lives in a test-only module (test/selftest), built from the extension's own
-- boundary code; the extension never ships it.
CREATE SCHEMA selftest;
CREATE FUNCTION selftest.guard_selftest(what text) RETURNS bigint
    AS 'hive_tokens_selftest' LANGUAGE C VOLATILE STRICT;
SELECT pg_backend_pid() AS pid_before \gset
SELECT selftest.guard_selftest('destructors') AS destroyed_before \gset

-- core::Error(InvalidTextRepresentation) -> 22P02 with its detail and hint
SELECT selftest.guard_selftest('invalid_text');
\echo :LAST_ERROR_SQLSTATE
-- core::Error(InvalidParameterValue) -> 22023
SELECT selftest.guard_selftest('invalid_parameter');
\echo :LAST_ERROR_SQLSTATE
-- core::Error(ConfigFile) -> F0000
SELECT selftest.guard_selftest('config_file');
\echo :LAST_ERROR_SQLSTATE
-- std::bad_alloc -> 53200 out of memory
SELECT selftest.guard_selftest('bad_alloc');
\echo :LAST_ERROR_SQLSTATE
-- any other std::exception -> XX000 internal error, message kept
SELECT selftest.guard_selftest('std_exception');
\echo :LAST_ERROR_SQLSTATE
-- a non-std exception -> XX000
SELECT selftest.guard_selftest('non_std');
\echo :LAST_ERROR_SQLSTATE
-- a PostgreSQL ERROR raised under pg_call() while a C++ object is alive keeps its SQLSTATE
SELECT selftest.guard_selftest('pg_error');
\echo :LAST_ERROR_SQLSTATE
-- no error: the function returns normally
SELECT selftest.guard_selftest('nothing');

-- Every one of the eight calls above (seven errors, one normal return) destroyed its C++ witness.
SELECT selftest.guard_selftest('destructors') - :destroyed_before AS destroyed;
-- Same backend, still usable, no transaction left aborted.
SELECT pg_backend_pid() = :pid_before AS same_backend;
BEGIN;
SELECT selftest.guard_selftest('bad_alloc');
ROLLBACK;
SELECT 1 AS still_alive;
DROP SCHEMA selftest CASCADE;
