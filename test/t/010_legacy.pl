# Tokens imported from Hive with hive_tokens in shared_preload_libraries: after a legacy token's
# first use (checked with bcrypt) the usage worker stores its keyed hash in place of Hive's
# bcrypt, after which every session verifies it without bcrypt; a use in a read-only transaction
# upgrades it the same way (deferred to the worker, never a write at the use); a hot standby
# verifies legacy tokens without writing anything; the cut-over set in the server's configuration;
# a second import after the upgrade changes nothing; a revoked upgraded token is told "revoked".
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('legacy');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'hive_tokens'\nhive_tokens.usage_flush_interval = 1\n"
	  . "log_statement = none\nlog_min_error_statement = panic\n");
$node->start;
my $org = '00000000-0000-4000-8000-00000000e001';
my $project = '00000000-0000-4000-8000-00000000e0b1';

# Hive's table, with hashes made by pgcrypto's bcrypt at Hive's cost (10)
$node->safe_psql('postgres', qq{
CREATE EXTENSION hive_tokens;
CREATE EXTENSION pgcrypto;
CREATE TABLE organization_access_tokens (
    id uuid PRIMARY KEY, organization_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL, description text, permissions text[], assigned_resources jsonb, hash text,
    first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);
CREATE TABLE holders (name text PRIMARY KEY, id uuid, token text);
CREATE FUNCTION hive_row(name text, n int, letter text, perms text[], project uuid) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE
    id uuid := format('00000000-0000-4000-8000-%s', lpad(n::text, 12, '0'))::uuid;
    secret text := encode(digest(gen_random_bytes(20), 'sha256'), 'hex');
    token text := 'hv' || letter || '1/' || translate(encode(convert_to(id::text || ':' || secret, 'UTF8'), 'base64'), E'\\n', '');
BEGIN
    INSERT INTO organization_access_tokens (id, organization_id, title, permissions, hash, first_characters, project_id)
    VALUES (id, '$org', name, perms, crypt(secret, gen_salt('bf', 10)), left(token, 10), project);
    INSERT INTO holders VALUES (name, id, token);
END;
\$\$;
SELECT hive_row('ci', 1, 'o', '{organization:describe,project:describe}', NULL);
SELECT hive_row('reporting', 2, 'p', '{project:describe}', '$project');
SELECT hive_row('standby only', 3, 'o', '{organization:describe}', NULL);
SELECT hive_row('revoked later', 4, 'o', '{organization:describe}', NULL);
});
is($node->safe_psql('postgres', "SELECT imported, already_present, skipped FROM hive_tokens.import_hive_tokens('organization_access_tokens')"),
	'4|0|0', 'four tokens imported');
my %tok = map { my ($n, $id, $t) = split /\|/; ($n => { id => $id, token => $t }) }
  split /\n/, $node->safe_psql('postgres', 'SELECT name, id, token FROM holders');
sub stored
{
	my ($n, $name) = @_;
	return $n->safe_psql('postgres',
		"SELECT (legacy_hash IS NOT NULL) || ',' || (hash IS NOT NULL) FROM hive_tokens.access_tokens WHERE id = '$tok{$name}{id}'");
}
is(stored($node, 'ci'), 'true,false', 'imported: Hive\'s bcrypt, no keyed hash');

# A hot standby taken now holds the tokens as imported (and the server key, which the import
# alone does not need: made here as the first verification would make it)
$node->safe_psql('postgres', 'SELECT count(*) FROM hive_tokens.keyring()');
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('legacy_standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
chmod 0600, $standby->data_dir . '/hive_tokens.key';
$standby->start;

# First use: checked with bcrypt, once; the backend remembers it
is($node->safe_psql('postgres', qq{
SELECT hive_tokens.verify_reason('$tok{ci}{token}');
SELECT hive_tokens.authorize('$tok{ci}{token}', 'organization:describe', '$org');
SELECT bcrypt_checks FROM hive_tokens.verify_cache();
}), "legacy\nt\n1", 'the original hvo1/ string verifies and authorizes; one bcrypt check');
ok($node->poll_query_until('postgres', "SELECT legacy_hash IS NULL FROM hive_tokens.access_tokens WHERE id = '$tok{ci}{id}'"),
	'after its first use the worker replaced the bcrypt');
is($node->safe_psql('postgres', qq{
SELECT a.hash = hive_tokens.hash('$tok{ci}{token}') AND a.key_id = (SELECT k.key_id FROM hive_tokens.keyring() AS k WHERE k.issuing)
  FROM hive_tokens.access_tokens AS a WHERE a.id = '$tok{ci}{id}'}),
	't', 'with the keyed hash of the whole token under the issuing key');
# A new session (nothing remembered) verifies it without bcrypt
is($node->safe_psql('postgres', qq{
SELECT hive_tokens.verify_reason('$tok{ci}{token}');
BEGIN;
SELECT hive_tokens.authenticate('$tok{ci}{token}') = '$tok{ci}{id}';
SELECT hive_tokens.can('project:describe', '$org', '$project');
COMMIT;
SELECT bcrypt_checks FROM hive_tokens.verify_cache();
}), "legacy\nt\nt\n0", 'later uses: authenticated with the same grants, no bcrypt check');
is($node->safe_psql('postgres', "SELECT use_count > 0 FROM hive_tokens.tokens WHERE id = '$tok{ci}{id}'"), 't',
	'its uses are counted like any token\'s');

# A use in a read-only transaction never writes; the worker upgrades the token afterwards
my ($ret, $stdout, $stderr) = $node->psql('postgres', qq{
BEGIN READ ONLY;
SELECT hive_tokens.verify_reason('$tok{reporting}{token}');
SELECT hive_tokens.authorize('$tok{reporting}{token}', 'project:describe', '$org', '$project');
COMMIT;});
is("$ret|$stdout|$stderr", "0|legacy\nt|", 'verified in a read-only transaction, without an error');
ok($node->poll_query_until('postgres', "SELECT legacy_hash IS NULL FROM hive_tokens.access_tokens WHERE id = '$tok{reporting}{id}'"),
	'and upgraded by the worker afterwards');

# The hot standby verifies a legacy token (bcrypt, as imported) and writes nothing
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', qq{
SELECT hive_tokens.verify_reason('$tok{'standby only'}{token}');
SELECT hive_tokens.verify_reason('$tok{'standby only'}{token}');
SELECT bcrypt_checks FROM hive_tokens.verify_cache();
}), "legacy\nlegacy\n1", 'the standby verifies a legacy token');
is($standby->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tok{ci}{token}')"), 'legacy',
	'and a token upgraded on the primary, after replay');
sleep 3;    # three flush intervals
is(stored($node, 'standby only'), 'true,false', 'a use on the standby upgrades nothing on the primary');
unlike(slurp_file($standby->logfile), qr/read-only transaction|ERROR/, 'nothing on the standby tried to write');
$standby->stop;

# A second import after the upgrade changes nothing: the upgraded tokens keep their keyed hash
is($node->safe_psql('postgres', "SELECT imported, already_present, skipped FROM hive_tokens.import_hive_tokens('organization_access_tokens')"),
	'0|4|0', 'a second import: everything already present');
is(stored($node, 'ci'), 'false,true', 'the upgraded token keeps its keyed hash');

# Revoked after the upgrade: its holder is told "revoked"
is($node->safe_psql('postgres', qq{
SELECT hive_tokens.verify_reason('$tok{'revoked later'}{token}');
}), 'legacy', 'used once');
ok($node->poll_query_until('postgres', "SELECT legacy_hash IS NULL FROM hive_tokens.access_tokens WHERE id = '$tok{'revoked later'}{id}'"),
	'upgraded');
is($node->safe_psql('postgres', qq{
SELECT hive_tokens.revoke('$tok{'revoked later'}{id}');
SELECT hive_tokens.verify_reason('$tok{'revoked later'}{token}');
}), "t\nrevoked", 'revoked after its upgrade: "revoked" for its holder');

# The cut-over, set for the whole server: legacy tokens are refused, in every session
$node->safe_psql('postgres', "ALTER SYSTEM SET hive_tokens.legacy_tokens_until = '2000-01-01 00:00+00'; SELECT pg_reload_conf();");
ok($node->poll_query_until('postgres', "SELECT hive_tokens.verify_reason('$tok{ci}{token}') = 'legacy_refused'"),
	'after the cut-over a legacy token is refused, upgraded or not');
($ret, $stdout, $stderr) = $node->psql('postgres', "BEGIN; SELECT hive_tokens.authenticate('$tok{reporting}{token}'); ROLLBACK;");
like($stderr, qr/no longer accepted/, 'authenticate() says why');
my ($native) = $node->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'native', '{organization:describe}')");
is($node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$native')"), 'ok', 'tokens of this extension are not affected');
$node->safe_psql('postgres', "ALTER SYSTEM RESET hive_tokens.legacy_tokens_until; SELECT pg_reload_conf();");
ok($node->poll_query_until('postgres', "SELECT hive_tokens.verify_reason('$tok{ci}{token}') = 'legacy'"),
	'the cut-over moved back: accepted again');

# An organization deleted at REPEATABLE READ while an import committed tokens of it after the
# deletion's snapshot: its DELETE would not see them, so the deletion fails (40001) rather than
# leave them live; retried, it deletes them.
my $gone_org = '00000000-0000-4000-8000-00000000e002';
$node->safe_psql('postgres', qq{
CREATE TABLE orgs (id uuid PRIMARY KEY);
INSERT INTO orgs VALUES ('$gone_org');
SELECT hive_tokens.link_organizations('orgs');
CREATE TABLE late_tokens (LIKE organization_access_tokens INCLUDING DEFAULTS);
});
my ($dout, $derr) = ('', '');
my $dscript = "BEGIN ISOLATION LEVEL REPEATABLE READ;\nSELECT 'snapshot:' || count(*) FROM orgs;\nSELECT pg_sleep(3);\n"
  . "DELETE FROM orgs WHERE id = '$gone_org';\nCOMMIT;\n";
my $deleter = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$dscript, '>', \$dout, '2>', \$derr);
my $ddeadline = time + 30;
while ($dout !~ /snapshot:1/ && time < $ddeadline)
{
	IPC::Run::pump_nb($deleter);
	select(undef, undef, undef, 0.05);
}
$node->safe_psql('postgres', qq{
INSERT INTO late_tokens (id, organization_id, title, permissions, hash)
SELECT gen_random_uuid(), '$gone_org', 'late', '{organization:describe}', crypt('x', gen_salt('bf', 4));
SELECT imported FROM hive_tokens.import_hive_tokens('late_tokens');
});
IPC::Run::finish($deleter);
like($derr, qr/tokens of organization $gone_org were added after this transaction began/,
	'a REPEATABLE READ deletion that cannot see an import\'s tokens fails');
is($node->safe_psql('postgres', "SELECT count(*) FROM orgs"), '1', 'and deletes nothing');
$node->safe_psql('postgres', "DELETE FROM orgs WHERE id = '$gone_org'");
is($node->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.access_tokens WHERE organization_id = '$gone_org'"), '0',
	'retried, the deletion takes the imported tokens too');

unlike(slurp_file($node->logfile), qr/hvo1\/[A-Za-z0-9+\/]{16}|\$2[aby]\$10\$/, 'no token and no bcrypt hash in the server log');

# A cut-over the configuration file holds in a form this release does not read (an earlier
# release accepted '01-01-2020'): every legacy token is refused, with a WARNING, rather than the
# cut-over silently vanishing
($ret, $stdout, $stderr) = $node->psql('postgres', "ALTER SYSTEM SET hive_tokens.legacy_tokens_until = '2027/03/01'");
like($stderr, qr/invalid value for parameter "hive_tokens.legacy_tokens_until"/, 'ALTER SYSTEM of an unreadable cut-over is an error');
$node->append_conf('postgresql.conf', "hive_tokens.legacy_tokens_until = '01-01-2020 00:00+00'\n");
$node->reload;
ok($node->poll_query_until('postgres', "SELECT hive_tokens.verify_reason('$tok{ci}{token}') = 'legacy_refused'"),
	'an unreadable cut-over in postgresql.conf refuses legacy tokens');
like(slurp_file($node->logfile), qr/hive_tokens.legacy_tokens_until "01-01-2020 00:00\+00" is not valid: every legacy token is refused/,
	'and says so in the log');
$node->stop;
done_testing();
