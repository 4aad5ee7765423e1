-- hive_tokens 0.1: token type, storage, issuance, verification, revocation.
\echo Use "CREATE EXTENSION hive_tokens" to load this file. \quit

COMMENT ON SCHEMA hive_tokens IS 'GraphQL Hive-style access tokens (extension hive_tokens)';
-- Everyone may use the type and call verify(); every other object has its own grants.
GRANT USAGE ON SCHEMA hive_tokens TO PUBLIC;

------------------------------------------------------------------------------------------
-- Type access_token: a validated hv?2_ token literal, printed masked.
------------------------------------------------------------------------------------------
CREATE TYPE hive_tokens.access_token;

CREATE FUNCTION hive_tokens.access_token_in(cstring) RETURNS hive_tokens.access_token
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.access_token_in(cstring) IS 'input function of access_token: checks prefix, length, alphabet and checksum (SQLSTATE 22P02 otherwise)';

CREATE FUNCTION hive_tokens.access_token_out(hive_tokens.access_token) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.access_token_out(hive_tokens.access_token) IS 'output function of access_token: the masked form hvo2_AbCd…';

CREATE FUNCTION hive_tokens.access_token_recv(internal) RETURNS hive_tokens.access_token
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.access_token_recv(internal) IS 'binary input of access_token: the token text, validated like text input';

CREATE FUNCTION hive_tokens.access_token_send(hive_tokens.access_token) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.access_token_send(hive_tokens.access_token) IS 'binary output of access_token: masked like text output';

CREATE TYPE hive_tokens.access_token (
    INPUT = hive_tokens.access_token_in,
    OUTPUT = hive_tokens.access_token_out,
    RECEIVE = hive_tokens.access_token_recv,
    SEND = hive_tokens.access_token_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE hive_tokens.access_token IS 'a syntactically valid hv?2_ access token (checksum verified); prints masked, so values cannot be read back or dumped';

------------------------------------------------------------------------------------------
-- Storage. Owner-only; applications use the functions and the view.
------------------------------------------------------------------------------------------
CREATE TABLE hive_tokens.access_tokens (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('organization', 'project', 'personal')),
    project_id       uuid,
    user_id          uuid,
    title            text NOT NULL CHECK (title ~ '^[ a-zA-Z0-9_-]{2,100}$'),
    description      text CHECK (char_length(description) <= 248),
    scopes           text[] NOT NULL,
    resources        jsonb NOT NULL DEFAULT '{"mode": "*"}',
    hash             bytea NOT NULL CHECK (octet_length(hash) = 32),
    key_id           int2 NOT NULL,
    first_characters text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       name NOT NULL DEFAULT session_user,
    expires_at       timestamptz,
    last_used_at     timestamptz,
    CHECK (kind <> 'project' OR project_id IS NOT NULL),
    CHECK (kind <> 'personal' OR user_id IS NOT NULL)
);
CREATE INDEX access_tokens_organization_idx
    ON hive_tokens.access_tokens (organization_id, created_at DESC, id DESC);
CREATE INDEX access_tokens_key_idx ON hive_tokens.access_tokens (key_id);
REVOKE ALL ON hive_tokens.access_tokens FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.access_tokens', '');
COMMENT ON TABLE hive_tokens.access_tokens IS 'issued tokens: keyed hashes only, never plaintext; readable by its owner only (use the view hive_tokens.tokens)';
COMMENT ON COLUMN hive_tokens.access_tokens.hash IS 'keyed BLAKE2b-256 of the whole token under server key key_id';
COMMENT ON COLUMN hive_tokens.access_tokens.key_id IS 'id of the keyring entry that produced hash';
COMMENT ON COLUMN hive_tokens.access_tokens.first_characters IS 'prefix and first four body characters, for display; never part of the secret';
COMMENT ON COLUMN hive_tokens.access_tokens.last_used_at IS 'reserved for usage tracking; not yet recorded';

CREATE TABLE hive_tokens.revoked_tokens (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    hash            bytea NOT NULL,
    key_id          int2 NOT NULL,
    revoked_at      timestamptz NOT NULL DEFAULT now(),
    revoked_by      name NOT NULL DEFAULT session_user
);
REVOKE ALL ON hive_tokens.revoked_tokens FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.revoked_tokens', '');
COMMENT ON TABLE hive_tokens.revoked_tokens IS 'tombstones of revoked tokens (id and keyed hash), so verify_reason() can tell the holder of a revoked token "revoked"; owner-only';

CREATE VIEW hive_tokens.tokens AS
    SELECT id, organization_id, kind, project_id, user_id, title, description, scopes, resources,
           first_characters, created_at, created_by, expires_at, last_used_at
      FROM hive_tokens.access_tokens;
REVOKE ALL ON hive_tokens.tokens FROM PUBLIC;
COMMENT ON VIEW hive_tokens.tokens IS 'every token''s public record: everything but the hash and key id; not readable by PUBLIC (grant SELECT to your application role)';

------------------------------------------------------------------------------------------
-- Verification (C, a primary-key probe, no SPI).
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens.verify(token text) RETURNS hive_tokens.tokens
    AS 'MODULE_PATHNAME', 'hive_tokens_verify' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.verify(text) IS 'the public record of a live token, or NULL for anything that is not one';

CREATE FUNCTION hive_tokens.verify(token hive_tokens.access_token) RETURNS hive_tokens.tokens
    AS 'MODULE_PATHNAME', 'hive_tokens_verify' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.verify(hive_tokens.access_token) IS 'verify() for a value already typed access_token';

CREATE FUNCTION hive_tokens.verify_reason(token text) RETURNS text
    AS 'MODULE_PATHNAME', 'hive_tokens_verify_reason' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.verify_reason(text) IS 'why a token does or does not verify: ok, malformed, checksum, unknown, revoked, expired or key_unavailable';

CREATE FUNCTION hive_tokens.verify_reason(token hive_tokens.access_token) RETURNS text
    AS 'MODULE_PATHNAME', 'hive_tokens_verify_reason' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens.verify_reason(hive_tokens.access_token) IS 'verify_reason() for a value already typed access_token';

CREATE FUNCTION hive_tokens.hash(token text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hive_tokens_hash' LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION hive_tokens.hash(text) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.hash(text) IS 'keyed BLAKE2b-256 of a token under the issuing server key, as stored; owner-only';

------------------------------------------------------------------------------------------
-- Keys.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens.keyring() RETURNS TABLE (key_id int2, issuing boolean)
    AS 'MODULE_PATHNAME', 'hive_tokens_keyring' LANGUAGE C VOLATILE STRICT PARALLEL SAFE ROWS 2;
REVOKE ALL ON FUNCTION hive_tokens.keyring() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.keyring() IS 'ids of the keys in the server keyring (never the keys), the issuing one first; owner-only';

CREATE FUNCTION hive_tokens.key_usage()
    RETURNS TABLE (key_id int2, in_keyring boolean, issuing boolean, live_tokens bigint)
    LANGUAGE sql VOLATILE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(k.key_id, t.key_id), k.key_id IS NOT NULL, coalesce(k.issuing, false), coalesce(t.n, 0)
      FROM hive_tokens.keyring() AS k
      FULL JOIN (SELECT a.key_id, count(*) AS n
                   FROM hive_tokens.access_tokens AS a
                  WHERE a.expires_at IS NULL OR a.expires_at > now()
                  GROUP BY a.key_id) AS t ON t.key_id = k.key_id
     ORDER BY 1;
END;
REVOKE ALL ON FUNCTION hive_tokens.key_usage() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.key_usage() IS 'per key id: whether it is in the keyring, whether it issues, how many live tokens it verifies; retire a key when it verifies none';

------------------------------------------------------------------------------------------
-- Issuing and revoking.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens._mint(kind text,
    OUT id uuid, OUT token text, OUT hash bytea, OUT key_id int2, OUT first_characters text)
    AS 'MODULE_PATHNAME', 'hive_tokens_mint' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens._mint(text) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens._mint(text) IS 'internal to issue(): a fresh token, its keyed hash and display prefix; owner-only';

CREATE FUNCTION hive_tokens.issue(
    organization uuid,
    title text,
    scopes text[],
    resources jsonb DEFAULT '{"mode": "*"}',
    description text DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL,
    kind text DEFAULT 'organization',
    project uuid DEFAULT NULL,
    user_id uuid DEFAULT NULL)
    RETURNS TABLE (token_id uuid, token text)
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    clean_scopes text[];
BEGIN
    IF organization IS NULL THEN
        RAISE EXCEPTION 'organization must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF title IS NULL OR title !~ '^[ a-zA-Z0-9_-]{2,100}$' THEN
        RAISE EXCEPTION 'invalid token title'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A title is 2 to 100 characters of letters, digits, spaces, "_" and "-".';
    END IF;
    IF char_length(description) > 248 THEN
        RAISE EXCEPTION 'token description is too long'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A description has at most 248 characters; this one has %s.', char_length(description));
    END IF;
    IF kind IS NULL OR kind NOT IN ('organization', 'project', 'personal') THEN
        RAISE EXCEPTION 'invalid token kind'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The kind is one of organization, project, personal.';
    END IF;
    IF kind = 'project' AND project IS NULL THEN
        RAISE EXCEPTION 'a project token needs a project' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF kind = 'personal' AND user_id IS NULL THEN
        RAISE EXCEPTION 'a personal token needs a user_id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF scopes IS NULL OR cardinality(scopes) = 0 THEN
        RAISE EXCEPTION 'a token needs at least one scope' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(scopes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'scopes must not contain NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF EXISTS (SELECT FROM unnest(scopes) AS s WHERE s !~ '^(\*|[a-zA-Z]{1,64}:(\*|[a-zA-Z]{1,64}))$') THEN
        RAISE EXCEPTION 'invalid scope %',
            (SELECT quote_literal(left(s, 80)) FROM unnest(scopes) AS s
              WHERE s !~ '^(\*|[a-zA-Z]{1,64}:(\*|[a-zA-Z]{1,64}))$' LIMIT 1)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A scope is "<resource>:<action>" such as "schemaVersion:publish", "<resource>:*" or "*".';
    END IF;
    clean_scopes := ARRAY(SELECT DISTINCT s FROM unnest(scopes) AS s ORDER BY s);
    resources := coalesce(resources, '{"mode": "*"}');
    IF jsonb_typeof(resources) IS DISTINCT FROM 'object'
       OR resources->>'mode' IS NULL OR resources->>'mode' NOT IN ('*', 'granular') THEN
        RAISE EXCEPTION 'invalid resource assignment'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use {"mode": "*"} or Hive''s {"mode": "granular", "projects": [...]} form.';
    END IF;
    IF expires_at IS NOT NULL AND expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    m := hive_tokens._mint(kind);
    INSERT INTO hive_tokens.access_tokens
        (id, organization_id, kind, project_id, user_id, title, description, scopes, resources,
         hash, key_id, first_characters, expires_at)
    VALUES (m.id, organization, kind, project, user_id, title, description, clean_scopes, resources,
            m.hash, m.key_id, m.first_characters, expires_at);
    token_id := m.id;
    token := m.token;
    RETURN NEXT;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens.issue(uuid, text, text[], jsonb, text, timestamptz, text, uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.issue(uuid, text, text[], jsonb, text, timestamptz, text, uuid, uuid) IS 'issues a token and returns its plaintext this once (it is never stored); EXECUTE must be granted';

CREATE FUNCTION hive_tokens.revoke(token_id uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gone record;
BEGIN
    DELETE FROM hive_tokens.access_tokens AS a WHERE a.id = token_id
        RETURNING a.id, a.organization_id, a.hash, a.key_id INTO gone;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO hive_tokens.revoked_tokens (id, organization_id, hash, key_id)
    VALUES (gone.id, gone.organization_id, gone.hash, gone.key_id);
    RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens.revoke(uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.revoke(uuid) IS 'deletes a token at once (hard delete, seen by the next verify in every session); true if it existed; EXECUTE must be granted';

------------------------------------------------------------------------------------------
-- Boundary self-test (used by the regression suite).
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens._guard_selftest(what text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hive_tokens_guard_selftest' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens._guard_selftest(text) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens._guard_selftest(text) IS 'internal: raises a chosen C++ exception to prove the C++/PostgreSQL error boundary; owner-only';
