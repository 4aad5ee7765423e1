-- Type hive_tokens.access_token: input validation without touching a table, masked output.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;

-- A known-good token (test vector shared with the unit tests; not issued by any server).
\set good 'hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ'
SELECT :'good'::hive_tokens.access_token AS masked;
SELECT length(:'good');
-- the masked form never shows more than the display prefix
SELECT :'good'::hive_tokens.access_token::text = left(:'good', 9) || '…' AS is_masked;
-- binary output is masked too
SELECT convert_from(hive_tokens_internal.access_token_send(:'good'), 'UTF8') AS sent;

-- Every kind letter is accepted when its checksum matches; a changed kind letter is not.
SELECT 'hvp2_' || substr(:'good', 6) AS other_kind \gset
SELECT :'other_kind'::hive_tokens.access_token;
\echo :LAST_ERROR_SQLSTATE

-- Bad input: each gets 22P02 and a message that says what is wrong, never the token.
SELECT ''::hive_tokens.access_token;
SELECT NULL::hive_tokens.access_token IS NULL AS null_is_null;
SELECT 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'::hive_tokens.access_token;
SELECT ('hvx2_' || substr(:'good', 6))::hive_tokens.access_token;
SELECT ('hvo3_' || substr(:'good', 6))::hive_tokens.access_token;
-- a Hive legacy token is not the new format
SELECT 'hvp1/MGYxZTJkM2MtNGI1YS00OTc4LTg3OTYtYTViNGMzZDJlMWYwOmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWI='::hive_tokens.access_token;
-- wrong lengths
SELECT left(:'good', 75)::hive_tokens.access_token;
SELECT (:'good' || 'A')::hive_tokens.access_token;
-- characters outside base62 (the position is reported, the character is not)
SELECT overlay(:'good' placing '-' from 30 for 1)::hive_tokens.access_token;
-- 'é' is two bytes in UTF-8: replacing two characters keeps the length
SELECT overlay(:'good' placing 'é' from 30 for 2)::hive_tokens.access_token;
SELECT overlay(:'good' placing ' ' from 76 for 1)::hive_tokens.access_token;
-- valid shape, wrong checksum (one character changed)
SELECT overlay(:'good' placing 'X' from 40 for 1)::hive_tokens.access_token;
\echo :LAST_ERROR_SQLSTATE
-- checksum right, body out of range (a forgery)
SELECT 'hvu2_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1TkQuU'::hive_tokens.access_token;
-- 1 MB of input
SELECT repeat('A', 1048576)::hive_tokens.access_token;
SELECT ('hvo2_' || repeat('A', 1048576))::hive_tokens.access_token;
-- invalid UTF-8 never reaches the type: the server rejects the bytes first
SELECT convert_from('\x68766f325fff'::bytea, 'UTF8')::hive_tokens.access_token;
\echo :LAST_ERROR_SQLSTATE

-- Binary input (COPY BINARY) validates like text input: a text column's binary form is read
-- as an access_token, a mangled one is refused.
SELECT current_setting('data_directory') || '/ht_access_token.copy' AS copyfile \gset
CREATE TEMP TABLE src (t text);
INSERT INTO src VALUES (:'good');
COPY src TO :'copyfile' (FORMAT binary);
CREATE TEMP TABLE dst (t hive_tokens.access_token);
COPY dst FROM :'copyfile' (FORMAT binary);
SELECT t AS received FROM dst;
UPDATE src SET t = overlay(t placing 'X' from 40 for 1);
COPY src TO :'copyfile' (FORMAT binary);
COPY dst FROM :'copyfile' (FORMAT binary);
-- and since output is masked, an access_token column cannot be round-tripped: by design.
COPY dst TO :'copyfile' (FORMAT binary);
COPY dst FROM :'copyfile' (FORMAT binary);
