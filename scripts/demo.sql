\pset footer off
\echo
\echo '== 1. Install the extension (a DBA, once per database)'
CREATE EXTENSION hive_tokens;

\echo
\echo '== 2. Issue an organization token for a CI pipeline that publishes schemas.'
\echo '      The plaintext comes back exactly once; hand it to the pipeline now.'
SELECT token_id, token
  FROM hive_tokens.issue(organization => 'a5d0c3a2-6f1b-4d7e-9a43-3b8a1f2e9c10',
                         title        => 'CI publish products',
                         scopes       => '{schemaVersion:publish,schemaCheck:create}',
                         description  => 'GitHub Actions, products subgraph',
                         expires_at   => now() + interval '6 months') \gset
\echo token_id: :token_id
\echo token:    :token
\echo '      hv + o (organization) + 2 (format) + _ + 65 base62 characters (uuid and a 256-bit'
\echo '      secret) + a 6-character CRC-32 checksum.'

\echo
\echo '== 3. What the database keeps: the first characters for display and a keyed hash.'
SELECT title, kind, first_characters, scopes, expires_at::date FROM hive_tokens.tokens;
SELECT first_characters, octet_length(hash) AS hash_bytes, key_id FROM hive_tokens.access_tokens;
\echo '      The secret is nowhere in the table:'
\set ECHO none
SELECT count(*) AS rows_holding_the_secret
  FROM hive_tokens.access_tokens AS a WHERE a::text LIKE '%' || substr(:'token', 10, 40) || '%';
\set ECHO queries
\echo '      The access_token type prints masked, so a token never echoes back in full:'
SELECT :'token'::hive_tokens.access_token AS as_access_token;

\echo
\echo '== 4. The pipeline presents the token: verify() returns its public record.'
SELECT id, organization_id, title, scopes FROM hive_tokens.verify(:'token');
SELECT hive_tokens.verify_reason(:'token') AS reason;

\echo
\echo '== 5. Somebody mistypes one character: the checksum rejects it without a table lookup.'
\set ECHO none
SELECT overlay(:'token' placing CASE WHEN substr(:'token', 30, 1) = 'x' THEN 'y' ELSE 'x' END from 30 for 1) AS typo \gset
\set ECHO queries
\echo '      (character 30 changed)'
SELECT hive_tokens.verify(:'typo') IS NULL AS rejected, hive_tokens.verify_reason(:'typo') AS reason;
SELECT :'typo'::hive_tokens.access_token;

\echo
\echo '== 6. Revoke it: a hard delete that the very next verify, in any session, sees.'
SELECT hive_tokens.revoke(:'token_id') AS revoked;
SELECT hive_tokens.verify(:'token') IS NULL AS no_longer_verifies, hive_tokens.verify_reason(:'token') AS reason;
SELECT count(*) AS tokens_left FROM hive_tokens.tokens;
