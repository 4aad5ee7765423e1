-- Revocation is visible across sessions at once: the very next verify in another session fails,
-- whatever that session's isolation level; an uncommitted or rolled-back revoke changes nothing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
\set org '66666666-6666-4666-8666-666666666666'
SELECT format('dbname=%s host=%s port=%s', current_database(),
              current_setting('unix_socket_directories'), current_setting('port')) AS conn \gset
SELECT dblink_connect('other', :'conn');
SELECT token_id AS t_id, token AS t FROM hive_tokens.issue(:'org', 'revocation', '{usage:report}') \gset
SELECT format('SELECT hive_tokens.verify_reason(%L), (SELECT v.id FROM hive_tokens.verify(%L) AS v) IS NOT NULL,
                      (SELECT count(*) FROM hive_tokens.access_tokens WHERE id = %L)', :'t', :'t', :'t_id') AS probe \gset

-- The other session verifies, inside a REPEATABLE READ transaction.
SELECT dblink_exec('other', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT * FROM dblink('other', :'probe') AS r(reason text, verified boolean, row_in_snapshot bigint);
-- This session revokes (autocommit).
SELECT hive_tokens.revoke(:'t_id');
-- The other session's next verify fails although its snapshot still shows the row.
SELECT * FROM dblink('other', :'probe') AS r(reason text, verified boolean, row_in_snapshot bigint);
SELECT dblink_exec('other', 'COMMIT');

-- An uncommitted revoke is invisible to others; rolled back, it revoked nothing.
SELECT token_id AS u_id, token AS u FROM hive_tokens.issue(:'org', 'rolled back', '{usage:report}') \gset
SELECT format('SELECT hive_tokens.verify_reason(%L)', :'u') AS probe_u \gset
BEGIN;
SELECT hive_tokens.revoke(:'u_id');
-- the revoking transaction sees its own revoke
SELECT hive_tokens.verify_reason(:'u') AS inside;
SELECT * FROM dblink('other', :'probe_u') AS r(other_session text);
ROLLBACK;
SELECT hive_tokens.verify_reason(:'u') AS after_rollback;
SELECT * FROM dblink('other', :'probe_u') AS r(other_session text);

-- Issued in one session, usable in the other as soon as it commits.
BEGIN;
SELECT token_id AS n_id, token AS n FROM hive_tokens.issue(:'org', 'new one', '{usage:report}') \gset
SELECT * FROM dblink('other', format('SELECT hive_tokens.verify_reason(%L)', :'n')) AS r(before_commit text);
COMMIT;
SELECT * FROM dblink('other', format('SELECT hive_tokens.verify_reason(%L)', :'n')) AS r(after_commit text);
SELECT dblink_disconnect('other');
