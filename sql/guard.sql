-- The C++/PostgreSQL boundary: every C++ exception becomes a clean SQL error with its mapped
-- SQLSTATE, C++ destructors run, and the backend survives to answer the next query.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
SELECT pg_backend_pid() AS pid_before \gset
SELECT hive_tokens._guard_selftest('destructors') AS destroyed_before \gset

-- core::Error(InvalidTextRepresentation) -> 22P02 with its detail and hint
SELECT hive_tokens._guard_selftest('invalid_text');
\echo :LAST_ERROR_SQLSTATE
-- core::Error(InvalidParameterValue) -> 22023
SELECT hive_tokens._guard_selftest('invalid_parameter');
\echo :LAST_ERROR_SQLSTATE
-- core::Error(ConfigFile) -> F0000
SELECT hive_tokens._guard_selftest('config_file');
\echo :LAST_ERROR_SQLSTATE
-- std::bad_alloc -> 53200 out of memory
SELECT hive_tokens._guard_selftest('bad_alloc');
\echo :LAST_ERROR_SQLSTATE
-- any other std::exception -> XX000 internal error, message kept
SELECT hive_tokens._guard_selftest('std_exception');
\echo :LAST_ERROR_SQLSTATE
-- a non-std exception -> XX000
SELECT hive_tokens._guard_selftest('non_std');
\echo :LAST_ERROR_SQLSTATE
-- a PostgreSQL ERROR raised under pg_call() while a C++ object is alive keeps its SQLSTATE
SELECT hive_tokens._guard_selftest('pg_error');
\echo :LAST_ERROR_SQLSTATE
-- no error: the function returns normally
SELECT hive_tokens._guard_selftest('nothing');

-- Every one of the eight calls above (seven errors, one normal return) destroyed its C++ witness.
SELECT hive_tokens._guard_selftest('destructors') - :destroyed_before AS destroyed;
-- Same backend, still usable, no transaction left aborted.
SELECT pg_backend_pid() = :pid_before AS same_backend;
BEGIN;
SELECT hive_tokens._guard_selftest('bad_alloc');
ROLLBACK;
SELECT 1 AS still_alive;
