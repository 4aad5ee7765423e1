-- Token lifecycle: personal tokens following their member, expiry presets and policies,
-- immutability, rotation, the audit log, organization deletion and listing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP ROLE IF EXISTS regress_ht_life;
DROP ROLE IF EXISTS regress_ht_issuer_admin;
RESET client_min_messages;
CREATE ROLE regress_ht_life;
CREATE ROLE regress_ht_issuer_admin;
GRANT EXECUTE ON FUNCTION hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid),
                          hive_tokens.revoke(uuid), hive_tokens.rotate(uuid, interval),
                          hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb),
                          hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb, uuid),
                          hive_tokens.set_expiry_policy(uuid, interval, boolean),
                          hive_tokens.set_member_function(regprocedure),
                          hive_tokens.audit_events(uuid, bigint, integer),
                          hive_tokens.list_tokens(uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer),
                          hive_tokens.link_organizations(regclass, name)
   TO regress_ht_life, regress_ht_issuer_admin;
\set o '00000000-0000-4000-8000-00000000c0d1'
\set o2 '00000000-0000-4000-8000-00000000c0d2'
\set p1 '00000000-0000-4000-8000-00000000c0e1'
\set p2 '00000000-0000-4000-8000-00000000c0e2'
\set u1 '00000000-0000-4000-8000-00000000c0a1'
\set u2 '00000000-0000-4000-8000-00000000c0a2'
\set u3 '00000000-0000-4000-8000-00000000c0a3'
\set u4 '00000000-0000-4000-8000-00000000c0a4'
\set o3 '00000000-0000-4000-8000-00000000c0d3'

------------------------------------------------------------------------------------------
-- Personal tokens follow their member: authenticate() intersects with the registered function.
------------------------------------------------------------------------------------------
SELECT token AS personal FROM hive_tokens.issue(:'o', 'laptop', '{usage:report,project:describe}',
    kind => 'personal', user_id => :'u1') \gset
SELECT token AS stranger FROM hive_tokens.issue(:'o', 'stranger', '{usage:report}', kind => 'personal', user_id => :'u3') \gset
-- no function registered: fails closed, saying how to register one
BEGIN;
SELECT hive_tokens.authenticate(:'personal');
ROLLBACK;
CREATE TABLE regress_members (organization uuid, user_id uuid, scopes hive_tokens.scopes, resources jsonb);
INSERT INTO regress_members VALUES (:'o', :'u1', '{project:describe,member:describe}', '{"mode": "*"}'),
                                   (:'o', :'u2', '{usage:report}', NULL), (:'o', :'u2', '{usage:report}', NULL);
CREATE FUNCTION regress_member_grant(organization uuid, user_id uuid, OUT scopes hive_tokens.scopes, OUT resources jsonb)
    RETURNS SETOF record LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS 'SELECT m.scopes, m.resources FROM public.regress_members AS m WHERE m.organization = $1 AND m.user_id = $2';
CREATE FUNCTION regress_wrong_shape(organization uuid, user_id uuid) RETURNS text LANGUAGE sql AS 'SELECT NULL::text';
-- only hive_tokens_admin (or a superuser) registers it, and only a function of the right shape
SET ROLE regress_ht_life;
SELECT hive_tokens.set_member_function('regress_member_grant(uuid, uuid)');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT hive_tokens.set_member_function('regress_wrong_shape(uuid, uuid)');
SELECT hive_tokens.set_member_function('regress_member_grant(uuid, uuid)');
SELECT fn FROM hive_tokens.member_function;
BEGIN;
SELECT hive_tokens.authenticate(:'personal') IS NOT NULL AS personal;
-- the token's {usage:report, project:describe} met the member's {project:describe, member:describe}
SELECT hive_tokens.current_scopes() AS effective_scopes, hive_tokens.current_user_id() = :'u1' AS own_user;
SELECT hive_tokens.can('usage:report', :'o', :'p1', '00000000-0000-4000-8000-00000000c0f1') AS usage_report;
ROLLBACK;
-- the member loses a permission: the token loses it at its next use
UPDATE regress_members SET scopes = '{member:describe}' WHERE user_id = :'u1';
BEGIN;
SELECT hive_tokens.authenticate(:'personal') IS NOT NULL AS personal;
SELECT hive_tokens.current_scopes() AS effective_scopes;
ROLLBACK;
-- a user who is no member any more: rejected
BEGIN;
SELECT hive_tokens.authenticate(:'stranger');
ROLLBACK;
-- a function that answers twice for one user is an error, not a guess
SELECT token AS twice FROM hive_tokens.issue(:'o', 'twice', '{usage:report}', kind => 'personal', user_id => :'u2') \gset
BEGIN;
SELECT hive_tokens.authenticate(:'twice');
ROLLBACK;
-- the registered function dropped: fails closed
CREATE FUNCTION regress_gone(organization uuid, user_id uuid, OUT scopes hive_tokens.scopes, OUT resources jsonb)
    LANGUAGE sql AS 'SELECT NULL::hive_tokens.scopes, NULL::jsonb';
SELECT hive_tokens.set_member_function('regress_gone(uuid, uuid)');
DROP FUNCTION regress_gone(uuid, uuid);
BEGIN;
SELECT hive_tokens.authenticate(:'personal');
ROLLBACK;
-- unregistered
SELECT hive_tokens.set_member_function(NULL);
SELECT count(*) AS registered FROM hive_tokens.member_function;
SELECT hive_tokens.set_member_function('regress_member_grant(uuid, uuid)');

------------------------------------------------------------------------------------------
-- Expiry: Hive's presets, and an organization's policy at issue, rotation and every use.
------------------------------------------------------------------------------------------
SELECT hive_tokens.expiry('never') IS NULL AS never,
       hive_tokens.expiry('7 days') - now() AS seven_days, hive_tokens.expiry('14 days') - now() AS fourteen_days,
       hive_tokens.expiry('30 days') - now() AS thirty_days, hive_tokens.expiry('6 months') = now() + interval '6 months' AS six_months,
       hive_tokens.expiry('1 year') = now() + interval '1 year' AS one_year;
SELECT hive_tokens.expiry('1 week');
SELECT hive_tokens.expiry(NULL);
-- a token that never expires, issued before any policy
SELECT token AS old_never, token_id AS old_never_id FROM hive_tokens.issue(:'o2', 'before the policy', '{usage:report}') \gset
SELECT token AS old_dated FROM hive_tokens.issue(:'o2', 'dated', '{usage:report}', expires_at => hive_tokens.expiry('1 year')) \gset
-- setting a policy: members with accessToken:modify, or hive_tokens_admin; never a token
SET ROLE regress_ht_life;
SELECT hive_tokens.set_expiry_policy(:'o2', '30 days');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT hive_tokens.authenticate(:'old_dated') IS NOT NULL AS token_principal;
SELECT hive_tokens.set_expiry_policy(:'o2', '30 days');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o2', '{usage:report}');
SELECT hive_tokens.set_expiry_policy(:'o2', '30 days');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o2', '{accessToken:modify,usage:report}', '{"mode": "*"}', :'u1');
-- 30 days at most, "never" not allowed: the never-expiring token now lives 30 days from its
-- creation, the one-year token is cut to the same (neither ends now)
SELECT hive_tokens.set_expiry_policy(:'o2', '30 days') AS ended_now;
SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o2', 'forever', '{usage:report}');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o2', 'a year', '{usage:report}', expires_at => hive_tokens.expiry('1 year'));
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS within_policy FROM hive_tokens.issue(:'o2', 'a week', '{usage:report}', expires_at => hive_tokens.expiry('7 days'));
SELECT hive_tokens.set_expiry_policy(:'o2', '-1 day');
ROLLBACK TO SAVEPOINT s;
COMMIT;
RESET ROLE;
SELECT max_lifetime, allow_never, updated_by FROM hive_tokens.expiry_policies WHERE organization_id = :'o2';
SELECT hive_tokens.verify_reason(:'old_never') AS old_never, hive_tokens.verify_reason(:'old_dated') AS old_dated;
SELECT expires_at FROM hive_tokens.verify(:'old_dated') WHERE expires_at <= now() + interval '30 days';
-- a policy shorter than the tokens' age ends them at their next use, whatever they were issued
-- with: the policy is set while they are younger than its maximum, then they age past it
SELECT pg_sleep(1.1);
SELECT hive_tokens.set_expiry_policy(:'o2', '3 seconds') AS ended_now;
SELECT hive_tokens.verify_reason(:'old_never') AS old_never, hive_tokens.verify_reason(:'old_dated') AS old_dated;
SELECT pg_sleep(2.1);
SELECT hive_tokens.verify_reason(:'old_never') AS old_never, hive_tokens.verify_reason(:'old_dated') AS old_dated;
BEGIN;
SELECT hive_tokens.authenticate(:'old_dated');
ROLLBACK;
-- ending is final: removing the policy (or loosening it) brings no token back, because what the
-- policy in force has ended is written into the rows first
SELECT hive_tokens.set_expiry_policy(:'o2', NULL, allow_never => true) AS ended_now;
SELECT count(*) AS policies FROM hive_tokens.expiry_policies WHERE organization_id = :'o2';
SELECT hive_tokens.verify_reason(:'old_never') AS old_never, hive_tokens.verify_reason(:'old_dated') AS old_dated;
-- "never" allowed, with a maximum: never-expiring tokens are exempt, dated ones capped
SELECT token AS new_never FROM hive_tokens.issue(:'o2', 'new never', '{usage:report}') \gset
SELECT token AS new_dated FROM hive_tokens.issue(:'o2', 'new dated', '{usage:report}', expires_at => hive_tokens.expiry('1 year')) \gset
SELECT pg_sleep(1.1);
SELECT hive_tokens.set_expiry_policy(:'o2', '1 second', allow_never => true) AS ended_now;
SELECT hive_tokens.verify_reason(:'new_never') AS new_never, hive_tokens.verify_reason(:'new_dated') AS new_dated;
SELECT hive_tokens.set_expiry_policy(:'o2', NULL, allow_never => true);

------------------------------------------------------------------------------------------
-- Immutability: a token's grants, owner, hash, key and history never change.
------------------------------------------------------------------------------------------
SELECT token_id AS fixed_id FROM hive_tokens.issue(:'o', 'fixed', '{usage:report}', expires_at => now() + interval '10 days') \gset
UPDATE hive_tokens.access_tokens SET scopes = '{usage:report,accessToken:modify}' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET resources = '{"mode": "granular", "projects": []}' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET organization_id = :'o2' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET hash = hash WHERE id = :'fixed_id';  -- the same value: allowed
UPDATE hive_tokens.access_tokens SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET key_id = key_id + 1 WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET created_at = created_at - interval '1 day' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET created_by_user = :'u1' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET title = 'renamed' WHERE id = :'fixed_id';
-- expiry: later or never refused, earlier allowed; usage fields free
UPDATE hive_tokens.access_tokens SET expires_at = expires_at + interval '1 day' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET expires_at = NULL WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET expires_at = expires_at - interval '1 day', last_used_at = now() WHERE id = :'fixed_id';
-- a token that never expires: usage fields still change, its expiry stays "never"
SELECT token_id AS never_fixed_id FROM hive_tokens.issue(:'o', 'never fixed', '{usage:report}') \gset
UPDATE hive_tokens.access_tokens SET last_used_at = now() WHERE id = :'never_fixed_id';
SELECT expires_at IS NULL AS still_never, last_used_at IS NOT NULL AS used FROM hive_tokens.access_tokens WHERE id = :'never_fixed_id';
-- rotated_to: set once
UPDATE hive_tokens.access_tokens SET rotated_to = :'u1' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET rotated_to = :'u2' WHERE id = :'fixed_id';
UPDATE hive_tokens.access_tokens SET rotated_to = NULL WHERE id = :'fixed_id';

------------------------------------------------------------------------------------------
-- Rotation: same grants, title, kind and owner; the old token works until the grace ends.
------------------------------------------------------------------------------------------
SELECT token AS rot_old, token_id AS rot_old_id FROM hive_tokens.issue(:'o', 'deploy key', '{usage:report,project:describe}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb,
    description => 'CI', expires_at => now() + interval '20 days') \gset
SELECT token AS rot_new, token_id AS rot_new_id FROM hive_tokens.rotate(:'rot_old_id', grace => '1 second') \gset
SELECT o.scopes::text = n.scopes::text AS same_scopes, o.resources = n.resources AS same_resources,
       (o.title, o.description, o.kind, o.organization_id) IS NOT DISTINCT FROM (n.title, n.description, n.kind, n.organization_id) AS same_record,
       n.expires_at - n.created_at = interval '20 days' AS same_lifetime,
       o.rotated_to = n.id AS old_points_to_new, o.expires_at <= now() + interval '1 second' AS old_ends_after_grace,
       :'rot_old' <> :'rot_new' AS new_secret
  FROM hive_tokens.tokens AS o, hive_tokens.tokens AS n WHERE o.id = :'rot_old_id' AND n.id = :'rot_new_id';
SELECT hive_tokens.verify_reason(:'rot_old') AS old_during_grace, hive_tokens.verify_reason(:'rot_new') AS new;
BEGIN;
SELECT hive_tokens.authenticate(:'rot_new') IS NOT NULL AS new_authenticates;
SELECT hive_tokens.can('usage:report', :'o', :'p1', '00000000-0000-4000-8000-00000000c0f1') AS new_can_report,
       hive_tokens.can('usage:report', :'o', :'p2', '00000000-0000-4000-8000-00000000c0f2') AS new_cannot_elsewhere;
ROLLBACK;
-- once per token; never a token that is gone, expired or unknown
\set VERBOSITY terse
SELECT * FROM hive_tokens.rotate(:'rot_old_id');
\set VERBOSITY default
SELECT pg_sleep(1.1);
SELECT hive_tokens.verify_reason(:'rot_old') AS old_after_grace, hive_tokens.verify_reason(:'rot_new') AS new;
SELECT token_id AS short_id FROM hive_tokens.issue(:'o', 'short', '{usage:report}', expires_at => clock_timestamp() + interval '10 ms') \gset
SELECT pg_sleep(0.05);
SELECT * FROM hive_tokens.rotate(:'short_id');
SELECT * FROM hive_tokens.rotate('00000000-0000-4000-8000-000000000bad');
SELECT * FROM hive_tokens.rotate(:'rot_new_id', grace => '-1 second');
SELECT * FROM hive_tokens.rotate(:'rot_new_id', grace => NULL);
-- a never-expiring token rotates into a never-expiring one; the policy caps a replacement
SELECT token_id AS never_id FROM hive_tokens.issue(:'o', 'never', '{usage:report}') \gset
BEGIN;
SELECT hive_tokens.set_expiry_policy(:'o', '7 days');
SELECT token_id AS capped_id FROM hive_tokens.rotate(:'never_id') \gset
SELECT expires_at = now() + interval '7 days' AS capped_by_policy FROM hive_tokens.tokens WHERE id = :'capped_id';
ROLLBACK;
SELECT token_id AS still_never_id FROM hive_tokens.rotate(:'never_id') \gset
SELECT expires_at IS NULL AS still_never FROM hive_tokens.tokens WHERE id = :'still_never_id';
-- under a principal: the same rights as issuing, over the token being rotated
SELECT token_id AS p2_token_id FROM hive_tokens.issue(:'o', 'project two token', '{project:describe}', kind => 'project', project => :'p2') \gset
SELECT token_id AS p1_token_id FROM hive_tokens.issue(:'o', 'project one token', '{project:describe}', kind => 'project', project => :'p1') \gset
SET ROLE regress_ht_life;
SELECT * FROM hive_tokens.rotate(:'p1_token_id');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{projectAccessToken:modify,project:describe}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb);
SELECT count(*) AS rotated_own_project FROM hive_tokens.rotate(:'p1_token_id');
SAVEPOINT s;
SELECT * FROM hive_tokens.rotate(:'p2_token_id');
ROLLBACK TO SAVEPOINT s;
-- a token it could not issue (organization token): refused
SELECT * FROM hive_tokens.rotate(:'rot_new_id');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o2', '{accessToken:modify,projectAccessToken:modify,project:describe}');
\set VERBOSITY terse
SELECT * FROM hive_tokens.rotate(:'p1_token_id');
\set VERBOSITY default
ROLLBACK;
-- rotating never escalates: a manager without usage:report cannot renew a token holding it
RESET ROLE;
SELECT token_id AS wide_p1_id FROM hive_tokens.issue(:'o', 'p1 reporter', '{project:describe,usage:report}', kind => 'project', project => :'p1') \gset
SET ROLE regress_ht_life;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{projectAccessToken:modify,project:describe}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb);
SELECT * FROM hive_tokens.rotate(:'wide_p1_id');
ROLLBACK;
-- revoking is audited too
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{projectAccessToken:modify,project:describe,usage:report}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb, :'u2');
SELECT hive_tokens.revoke(:'wide_p1_id') AS revoked;
COMMIT;
RESET ROLE;

------------------------------------------------------------------------------------------
-- The audit log: every change recorded with its actor, never a secret, append-only.
------------------------------------------------------------------------------------------
SELECT event, actor_kind, count(*) AS events
  FROM hive_tokens.audit_log WHERE organization_id IN (:'o', :'o2') AND event <> 'refused' GROUP BY 1, 2 ORDER BY 1, 2;
-- the member that set the policy, by user and role
SELECT actor_kind, actor_user_id = :'u1' AS actor_user, actor_role, details->>'max_lifetime' AS max_lifetime, details->'tokens_ended' AS ended
  FROM hive_tokens.audit_log WHERE event = 'policy_changed' AND organization_id = :'o2' ORDER BY id LIMIT 1;
SELECT details->>'title' AS title, details->'permissions' AS permissions, details->>'kind' AS kind, token_id = :'rot_old_id' AS token
  FROM hive_tokens.audit_log WHERE event = 'issued' AND token_id = :'rot_old_id';
SELECT actor_kind, actor_user_id = :'u2' AS actor_user, actor_role, details->>'title' AS title
  FROM hive_tokens.audit_log WHERE event = 'revoked' AND token_id = :'wide_p1_id';
SELECT token_id = :'rot_old_id' AS token, details->>'replacement' = :'rot_new_id' AS replacement, details->>'grace' AS grace
  FROM hive_tokens.audit_log WHERE event = 'rotated' AND token_id = :'rot_old_id';
-- no token, no hash anywhere in it
SELECT count(*) AS secrets_in_log FROM hive_tokens.audit_log AS l
 WHERE strpos(l.details::text, :'rot_old') > 0 OR strpos(l.details::text, :'rot_new') > 0
    OR EXISTS (SELECT FROM hive_tokens.access_tokens AS a WHERE strpos(l.details::text, encode(a.hash, 'hex')) > 0);
-- a refusal rolls its transaction back, so a background worker records it in a transaction of
-- its own (one per backend at a time: wait for earlier ones first, then for this one)
SELECT pg_sleep(0.5);
SET ROLE regress_ht_life;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{usage:report}', '{"mode": "*"}', :'u4');
SELECT * FROM hive_tokens.issue(:'o', 'refused one', '{usage:report}');
ROLLBACK;
RESET ROLE;
DO $$
BEGIN
    FOR i IN 1..400 LOOP
        EXIT WHEN EXISTS (SELECT FROM hive_tokens.audit_log
                           WHERE event = 'refused' AND actor_user_id = '00000000-0000-4000-8000-00000000c0a4');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT organization_id = :'o' AS organization, actor_kind, actor_role, details->>'action' AS action,
       details->>'reason' AS reason, token_id
  FROM hive_tokens.audit_log WHERE event = 'refused' AND actor_user_id = :'u4';
-- append-only, even for its owner
UPDATE hive_tokens.audit_log SET actor_role = 'someone' WHERE event = 'issued';
DELETE FROM hive_tokens.audit_log WHERE event = 'issued';
TRUNCATE hive_tokens.audit_log;
-- reading: auditLog:export on the organization, newest first, paged
SET ROLE regress_ht_life;
SELECT count(*) FROM hive_tokens.audit_events(:'o');
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{auditLog:export}');
SELECT count(*) = (SELECT count(*) FROM hive_tokens.audit_events(:'o', max_rows => 10000)) AS pages_cover_all,
       bool_and(id < coalesce(prev, id + 1)) AS newest_first
  FROM (SELECT id, lag(id) OVER (ORDER BY n) AS prev
          FROM (SELECT e.id, row_number() OVER () AS n FROM hive_tokens.audit_events(:'o', max_rows => 10000) AS e) AS x) AS y;
SELECT count(*) AS first_page FROM hive_tokens.audit_events(:'o', max_rows => 3);
SELECT min(id) AS cursor FROM hive_tokens.audit_events(:'o', max_rows => 3) \gset
SELECT count(*) AS second_page, bool_and(id < :cursor) AS older FROM hive_tokens.audit_events(:'o', :cursor, 3);
SELECT count(*) FROM hive_tokens.audit_events(:'o2');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{accessToken:modify}');
SELECT count(*) FROM hive_tokens.audit_events(:'o');
ROLLBACK;
SELECT count(*) FROM hive_tokens.audit_events(:'o', max_rows => 0);
RESET ROLE;
-- retention: the owner purges old events, and the purge is itself recorded (an event made two
-- days old by stepping past the guard, as only a superuser could)
ALTER TABLE hive_tokens.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE hive_tokens.audit_log SET at = at - interval '2 days' WHERE event = 'issued' AND token_id = :'rot_old_id';
ALTER TABLE hive_tokens.audit_log ENABLE TRIGGER audit_log_append_only;
SELECT hive_tokens.purge_audit_log('1 day') AS purged;
SELECT count(*) AS issued_event_left FROM hive_tokens.audit_log WHERE event = 'issued' AND token_id = :'rot_old_id';
SELECT hive_tokens.purge_audit_log('-1 day');
SELECT event, details->>'older_than' AS older_than, details->'events' AS events
  FROM hive_tokens.audit_log WHERE event = 'purged' ORDER BY id DESC LIMIT 1;
SET ROLE regress_ht_life;
SELECT hive_tokens.purge_audit_log('0');
RESET ROLE;

------------------------------------------------------------------------------------------
-- Organization deletion: a trigger on the application's table deletes and audits the tokens.
------------------------------------------------------------------------------------------
CREATE TABLE regress_orgs (org_id uuid PRIMARY KEY, name text);
INSERT INTO regress_orgs VALUES (:'o2', 'two');
-- linking needs hive_tokens_admin, and a uuid column
SET ROLE regress_ht_life;
SELECT hive_tokens.link_organizations('regress_orgs', 'org_id');
RESET ROLE;
SELECT hive_tokens.link_organizations('regress_orgs', 'name');
-- anyone may attach the trigger function to a table of theirs, but it refuses to act on a table
-- nobody linked
SET ROLE regress_ht_life;
CREATE TEMP TABLE regress_fake_orgs (id uuid);
CREATE TRIGGER fake AFTER DELETE ON regress_fake_orgs FOR EACH ROW EXECUTE FUNCTION hive_tokens.delete_organization_tokens();
INSERT INTO regress_fake_orgs VALUES (:'o2');
DELETE FROM regress_fake_orgs;
DROP TABLE regress_fake_orgs;
RESET ROLE;
-- never a table of the extension or the system, never another role's table
SELECT hive_tokens.link_organizations('hive_tokens.audit_log', 'organization_id');
CREATE TABLE regress_others_orgs (id uuid);
ALTER TABLE regress_others_orgs OWNER TO regress_ht_life;
GRANT hive_tokens_admin TO regress_ht_issuer_admin;
SET ROLE regress_ht_issuer_admin;
SELECT hive_tokens.link_organizations('regress_others_orgs');
RESET ROLE;
DROP TABLE regress_others_orgs;
SELECT hive_tokens.link_organizations('regress_orgs', 'org_id');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'regress_orgs'::regclass ORDER BY 1;
-- TRUNCATE fires no row trigger: refused
TRUNCATE regress_orgs;
-- a partitioned organizations table (its owner an administrator, not a superuser): rows deleted
-- from any partition delete their tokens, its partitions refuse TRUNCATE too, and its owner
-- still adds partitions
CREATE SCHEMA regress_adm AUTHORIZATION regress_ht_issuer_admin;
SET ROLE regress_ht_issuer_admin;
CREATE TABLE regress_adm.porgs (id uuid, region int) PARTITION BY LIST (region);
CREATE TABLE regress_adm.porgs_1 PARTITION OF regress_adm.porgs FOR VALUES IN (1);
SELECT hive_tokens.link_organizations('regress_adm.porgs_1');
SELECT hive_tokens.link_organizations('regress_adm.porgs');
CREATE TABLE regress_adm.porgs_2 PARTITION OF regress_adm.porgs FOR VALUES IN (2);
RESET ROLE;
SELECT token AS partitioned_org_token FROM hive_tokens.issue('00000000-0000-4000-8000-00000000c0d5', 'in a partition', '{usage:report}') \gset
INSERT INTO regress_adm.porgs VALUES ('00000000-0000-4000-8000-00000000c0d5', 1);
TRUNCATE regress_adm.porgs_1;
DELETE FROM regress_adm.porgs_1;
SELECT hive_tokens.verify_reason(:'partitioned_org_token') AS partitioned_org_token;
-- a new owner was never vetted: the link refuses to act (and so the deletion) until linked again
SELECT token AS owner_change_token FROM hive_tokens.issue('00000000-0000-4000-8000-00000000c0d5', 'owner change', '{usage:report}') \gset
INSERT INTO regress_adm.porgs VALUES ('00000000-0000-4000-8000-00000000c0d5', 2);
ALTER TABLE regress_adm.porgs OWNER TO regress_ht_life;
DELETE FROM regress_adm.porgs;
SELECT hive_tokens.verify_reason(:'owner_change_token') AS owner_change_token;
DROP SCHEMA regress_adm CASCADE;
-- the trigger function itself refuses other timings
CREATE TRIGGER wrong_when BEFORE DELETE ON regress_orgs FOR EACH ROW EXECUTE FUNCTION hive_tokens.delete_organization_tokens('org_id');
DELETE FROM regress_orgs;
DROP TRIGGER wrong_when ON regress_orgs;
SELECT hive_tokens.set_expiry_policy(:'o2', '90 days');
SELECT count(*) AS tokens_before FROM hive_tokens.access_tokens WHERE organization_id = :'o2';
DELETE FROM regress_orgs WHERE org_id = :'o2';
SELECT count(*) AS tokens_after FROM hive_tokens.access_tokens WHERE organization_id = :'o2';
SELECT count(*) AS policies_after FROM hive_tokens.expiry_policies WHERE organization_id = :'o2';
SELECT hive_tokens.verify_reason(:'old_never') AS deleted_org_token;
SELECT details->'tokens' AS tokens, details->>'table' AS tbl FROM hive_tokens.audit_log
 WHERE event = 'organization_deleted' AND organization_id = :'o2';
-- in the same transaction: a rolled-back deletion keeps everything
SELECT token AS kept FROM hive_tokens.issue(:'o2', 'kept', '{usage:report}') \gset
INSERT INTO regress_orgs VALUES (:'o2', 'two again');
BEGIN;
DELETE FROM regress_orgs WHERE org_id = :'o2';
SELECT hive_tokens.verify_reason(:'kept') AS inside;
ROLLBACK;
SELECT hive_tokens.verify_reason(:'kept') AS after_rollback;
-- a principal deletes its own organization's tokens only
INSERT INTO regress_orgs VALUES (:'o3', 'three');
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{accessToken:modify}');
DELETE FROM regress_orgs WHERE org_id = :'o3';
ROLLBACK;

------------------------------------------------------------------------------------------
-- Listing: what the principal may manage, newest first, keyset-paginated, filtered.
------------------------------------------------------------------------------------------
-- five tokens issued by member u1, one transaction each
DO $$
BEGIN
    FOR g IN 1..5 LOOP
        PERFORM hive_tokens.act_as_member('00000000-0000-4000-8000-00000000c0d3',
            '{accessToken:modify,usage:report,project:describe}', '{"mode": "*"}', '00000000-0000-4000-8000-00000000c0a1');
        PERFORM hive_tokens.issue('00000000-0000-4000-8000-00000000c0d3'::uuid, 'ci ' || g,
                                  CASE WHEN g % 2 = 0 THEN '{usage:report}' ELSE '{project:describe}' END::hive_tokens.scopes);
        COMMIT;
    END LOOP;
END $$;
SELECT count(*) FROM hive_tokens.issue(:'o3', 'by admin', '{usage:report}');
SELECT count(*) FROM hive_tokens.issue(:'o3', 'project p1', '{project:describe}', kind => 'project', project => :'p1');
SELECT count(*) FROM hive_tokens.issue(:'o3', 'project p2', '{project:describe}', kind => 'project', project => :'p2');
SELECT count(*) FROM hive_tokens.issue(:'o3', 'u1 laptop', '{usage:report}', kind => 'personal', user_id => :'u1');
SELECT count(*) FROM hive_tokens.issue(:'o3', 'u2 laptop', '{usage:report}', kind => 'personal', user_id => :'u2');
SET ROLE regress_ht_life;
BEGIN;
SELECT hive_tokens.act_as_member(:'o3', '{accessToken:modify,projectAccessToken:modify,personalAccessToken:modify}', '{"mode": "*"}', :'u1');
-- everything but u2's personal token, newest first, in pages of 3
SELECT title FROM hive_tokens.list_tokens(:'o3', page_size => 100);
SELECT title FROM hive_tokens.list_tokens(:'o3', page_size => 3);
SELECT created_at AS c, id AS i FROM hive_tokens.list_tokens(:'o3', page_size => 3) ORDER BY created_at, id LIMIT 1 \gset
SELECT title FROM hive_tokens.list_tokens(:'o3', before_created_at => :'c', before_id => :'i', page_size => 3);
-- filters: tokens holding usage:report; tokens made by user u1
SELECT title FROM hive_tokens.list_tokens(:'o3', scopes => '{usage:report}', page_size => 100);
SELECT title FROM hive_tokens.list_tokens(:'o3', created_by_user => :'u1', page_size => 100);
SELECT count(*) AS hashes_shown FROM hive_tokens.list_tokens(:'o3', page_size => 100) AS t
 WHERE to_jsonb(t) ? 'hash';
SAVEPOINT s;
SELECT * FROM hive_tokens.list_tokens(:'o3', page_size => 0);
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hive_tokens.list_tokens(:'o3', before_id => :'i');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hive_tokens.list_tokens(:'o2');
ROLLBACK;
-- a project-token manager of p1 sees p1's project tokens only
BEGIN;
SELECT hive_tokens.act_as_member(:'o3', '{projectAccessToken:modify}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb);
SELECT title FROM hive_tokens.list_tokens(:'o3');
ROLLBACK;
-- a principal that manages nothing: refused
BEGIN;
SELECT hive_tokens.act_as_member(:'o3', '{usage:report}');
SELECT title FROM hive_tokens.list_tokens(:'o3');
ROLLBACK;
-- without a principal: hive_tokens_admin only
SELECT title FROM hive_tokens.list_tokens(:'o3');
RESET ROLE;
SELECT count(*) AS admin_sees_all FROM hive_tokens.list_tokens(:'o3', page_size => 1000);

------------------------------------------------------------------------------------------
-- Who the caller is: the role current where the public function is called, never the session's.
------------------------------------------------------------------------------------------
\set o4 '00000000-0000-4000-8000-00000000c0d4'
CREATE ROLE regress_ht_mallory;
GRANT EXECUTE ON FUNCTION hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid)
   TO regress_ht_mallory;
CREATE SCHEMA regress_mal AUTHORIZATION regress_ht_mallory;
SET ROLE regress_ht_mallory;
-- her own SECURITY DEFINER function, called by a superuser: it acts as her, and she is no admin
CREATE FUNCTION regress_mal.helpful() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    RETURN (SELECT t.token FROM hive_tokens.issue('00000000-0000-4000-8000-00000000c0d4', 'stolen', '{accessToken:modify}') AS t);
END $$;
-- an index expression: ANALYZE (or autovacuum) runs it as her, in a security-restricted operation
CREATE FUNCTION regress_mal.grab() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hive_tokens.issue('00000000-0000-4000-8000-00000000c0d4', 'stolen by analyze', '{accessToken:modify}');
    RETURN 1;
EXCEPTION WHEN OTHERS THEN
    RETURN 0;
END $$;
CREATE FUNCTION regress_mal.idx(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS 'BEGIN PERFORM regress_mal.grab(); RETURN i; END';
CREATE TABLE regress_mal.bait (i int);
INSERT INTO regress_mal.bait SELECT 1 FROM generate_series(1, 10);
CREATE INDEX ON regress_mal.bait (regress_mal.idx(i));
RESET ROLE;
SELECT regress_mal.helpful();
ANALYZE regress_mal.bait;
SELECT count(*) AS tokens_of_o4 FROM hive_tokens.access_tokens WHERE organization_id = :'o4';
-- in a security-restricted operation nothing is managed at all, whoever asks (here: an index
-- build by a superuser)
CREATE FUNCTION regress_mal.ticket(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE
    AS 'BEGIN PERFORM hive_tokens_internal.caller_ticket(); RETURN i; END';
CREATE TABLE regress_mal.restricted (i int);
INSERT INTO regress_mal.restricted VALUES (1);
CREATE INDEX ON regress_mal.restricted (regress_mal.ticket(i));
-- a ticket names its caller only until the next one is made, and not across SET ROLE
BEGIN;
SELECT hive_tokens_internal.caller_ticket() AS su_ticket \gset
SET LOCAL ROLE regress_ht_mallory;
SELECT * FROM hive_tokens_internal.issue_body(:'su_ticket', :'o4', 'borrowed', '{usage:report}', NULL, NULL, NULL, 'organization', NULL, NULL);
ROLLBACK;
BEGIN;
SELECT hive_tokens_internal.caller_ticket() AS old_ticket \gset
SELECT hive_tokens_internal.caller_ticket() IS NOT NULL AS newer_ticket;
SELECT * FROM hive_tokens_internal.issue_body(:'old_ticket', :'o4', 'stale', '{usage:report}', NULL, NULL, NULL, 'organization', NULL, NULL);
ROLLBACK;
-- the bodies need the ticket their public function makes, and its EXECUTE grant
SELECT * FROM hive_tokens_internal.issue_body(gen_random_uuid(), :'o4', 'no ticket', '{usage:report}', NULL, NULL, NULL, 'organization', NULL, NULL);
SET ROLE regress_ht_life;
SELECT * FROM hive_tokens_internal.set_member_function_body(hive_tokens_internal.caller_ticket(), NULL);
SELECT * FROM hive_tokens_internal.link_organizations_body(hive_tokens_internal.caller_ticket(), 'regress_orgs', 'org_id');
RESET ROLE;
-- infinity is not an expiry: NULL is never
SELECT * FROM hive_tokens.issue(:'o4', 'forever and a day', '{usage:report}', expires_at => 'infinity');
-- a looser policy never brings back what a stricter one ended
SELECT token AS revived, token_id AS revived_id FROM hive_tokens.issue(:'o4', 'never', '{usage:report}') \gset
SELECT hive_tokens.set_expiry_policy(:'o4', NULL, false) AS ended_now;
SELECT hive_tokens.verify_reason(:'revived') AS under_strict, expires_at <= now() AS written_down
  FROM hive_tokens.access_tokens WHERE id = :'revived_id';
SELECT hive_tokens.set_expiry_policy(:'o4', NULL, true) AS ended_now;
SELECT hive_tokens.verify_reason(:'revived') AS after_loosening;
DROP SCHEMA regress_mal CASCADE;
DROP OWNED BY regress_ht_mallory;
DROP ROLE regress_ht_mallory;

SELECT hive_tokens.set_member_function(NULL);
DROP TABLE regress_orgs, regress_members;
DROP FUNCTION regress_member_grant(uuid, uuid), regress_wrong_shape(uuid, uuid);
DROP OWNED BY regress_ht_life, regress_ht_issuer_admin;
DROP ROLE regress_ht_life, regress_ht_issuer_admin;
