# What a pooled session keeps from one client to the next: authenticate() and try_authenticate()
# refuse a session holding temporary objects, however the earlier client tried to make a check
# find none. Here (found by review) it imports another transaction's snapshot, taken before its
# objects existed, and lets a check run under it: the check must see them all the same, and the
# next client must be refused.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('session_objects');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'hive_tokens'\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION hive_tokens;
	CREATE ROLE app LOGIN;
	GRANT hive_tokens_app TO app;});
my $token = $node->safe_psql('postgres',
	q{SELECT token FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'reader', '{project:describe}')});

# Another session (any role) exports its snapshot and stays in its transaction.
my $snapsql = "BEGIN ISOLATION LEVEL REPEATABLE READ;\nSELECT 'snap=' || pg_export_snapshot();\nSELECT pg_sleep(600);\n";
my ($sout, $serr) = ('', '');
my $timer = IPC::Run::timer($PostgreSQL::Test::Utils::timeout_default);
my $holder = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$snapsql, '>', \$sout, '2>', \$serr, $timer);
pump_until($holder, $timer, \$sout, qr/snap=\S+/) or BAIL_OUT('no snapshot exported');
my ($snapshot) = $sout =~ /snap=(\S+)/;

# The pooled session: a plant made after that export, a check under the imported snapshot (where
# the plant does not exist yet), then the next client's authentication.
my ($ret, $out, $err) = $node->psql('postgres', qq{
	CREATE TEMP VIEW projects AS SELECT 1 AS id;
	BEGIN ISOLATION LEVEL REPEATABLE READ;
	SET TRANSACTION SNAPSHOT '$snapshot';
	SELECT hive_tokens.try_authenticate(NULL) IS NULL AS checked;
	COMMIT;
	BEGIN;
	SELECT hive_tokens.try_authenticate('$token') IS NOT NULL AS authenticated;
	ROLLBACK;}, on_error_stop => 0, extra_params => [ '-U', 'app' ]);
my @refused = $err =~ /try_authenticate\(\) refuses a session that holds 1 temporary object\(s\) \(view projects\)/g;
is(scalar @refused, 2, 'the check under the imported snapshot sees the plant, and so does the next client\'s: '
	. 'the session is judged by its current catalog');
is($out, "", "nobody is authenticated") or diag("stderr: $err");
diag($err) if @refused != 2;
unlike($err, qr/\Q$token\E/, 'no token in the errors');

# What another role may record "in" this session's temporary schema without any privilege there
# (default privileges) runs nothing, and must not lock the session out (found by review).
$node->safe_psql('postgres', 'CREATE ROLE mallory LOGIN');
my $connstr = $node->connstr('postgres');
($ret, $out, $err) = $node->psql('postgres', qq{
	CREATE TEMP TABLE scratch (n int) ON COMMIT DROP;
	SELECT pg_my_temp_schema()::regnamespace AS ns \\gset
	\\setenv NS :ns
	\\! psql -X -q -d '$connstr' -U mallory -c "ALTER DEFAULT PRIVILEGES IN SCHEMA \$NS GRANT SELECT ON TABLES TO PUBLIC"
	SELECT count(*) AS recorded FROM pg_default_acl WHERE defaclnamespace = pg_my_temp_schema();
	BEGIN;
	SELECT hive_tokens.try_authenticate('$token') IS NOT NULL AS authenticated;
	ROLLBACK;}, on_error_stop => 0, extra_params => [ '-U', 'app' ]);
is($out, "1\nt", 'default privileges another role put in the temporary schema do not refuse the session')
	or diag("stderr: $err");

eval { $holder->kill_kill };
$node->stop;
done_testing();
