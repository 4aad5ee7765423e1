# Usage tracking with hive_tokens in shared_preload_libraries: verifications count in shared
# memory and the worker writes last_used_at and use_count (one UPDATE per token per flush), without
# emptying the verified-token caches; uses not yet written survive a clean restart; the listing and
# revocation of unused tokens; a hot standby verifies without counting or writing anything.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $conf = "shared_preload_libraries = 'hive_tokens'\nhive_tokens.usage_flush_interval = 1\n"
  . "log_statement = none\nlog_min_error_statement = panic\n";
my $node = PostgreSQL::Test::Cluster->new('usage');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', $conf);
$node->start;
my $org = '00000000-0000-4000-8000-0000000000d1';
$node->safe_psql('postgres', 'CREATE EXTENSION hive_tokens');
my %tok;
for my $name (qw(aa bb cc dd))
{
	my ($id, $token) = split /\|/, $node->safe_psql('postgres',
		"SELECT token_id, token FROM hive_tokens.issue('$org', '$name', '{usage:report}')");
	$tok{$name} = { id => $id, token => $token };
}
sub uses
{
	my ($n, $name) = @_;
	return $n->safe_psql('postgres',
		"SELECT use_count || ',' || (last_used_at IS NOT NULL) FROM hive_tokens.tokens WHERE id = '$tok{$name}{id}'");
}

is($node->safe_psql('postgres', 'SELECT active, capacity, dropped_uses FROM hive_tokens.usage_tracking()'),
	't|50000|0', 'with preload, uses are counted here');

# three uses of a, one of b, each in a statement of its own (and one in a transaction that aborts:
# a verification is a use whatever the transaction does next)
$node->safe_psql('postgres', join "\n",
	"SELECT hive_tokens.verify_reason('$tok{aa}{token}');",
	"SELECT hive_tokens.authorize('$tok{aa}{token}', 'usage:report', '$org', '$org', '$org');",
	"SELECT hive_tokens.verify_reason('$tok{bb}{token}');",
	"BEGIN; SELECT count(*) FROM hive_tokens.verify('$tok{aa}{token}'); ROLLBACK;",
	"SELECT hive_tokens.verify_reason('hvo2_not_a_token');");
ok($node->poll_query_until('postgres',
		"SELECT use_count = 3 FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}'"),
	'the worker writes the uses of a token');
is(uses($node, 'aa'), '3,true', 'a: three uses and when');
is(uses($node, 'bb'), '1,true', 'b: one use');
is(uses($node, 'cc'), '0,false', 'c: never used');
is($node->safe_psql('postgres', 'SELECT pending_tokens, flushed_uses FROM hive_tokens.usage_tracking()'),
	'0|4', 'nothing left in shared memory; four uses written');

# A flush does not empty the verified-token cache: a session that cached a keeps hitting it after
# the worker has written a's new count.
my $out = $node->safe_psql('postgres', qq{
SELECT hive_tokens.verify_reason('$tok{aa}{token}');
SELECT hive_tokens.verify_reason('$tok{aa}{token}');
SELECT emptied AS e0, hits AS h0 FROM hive_tokens.verify_cache() \\gset
DO \$\$
BEGIN
    FOR i IN 1..300 LOOP
        EXIT WHEN (SELECT use_count FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}') >= 5;
        PERFORM pg_sleep(0.1);
    END LOOP;
END \$\$;
SELECT 'count:' || use_count FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}';
SELECT hive_tokens.verify_reason('$tok{aa}{token}');
SELECT 'cache:' || (emptied = :e0) || ',' || (hits = :h0 + 1) FROM hive_tokens.verify_cache();
});
like($out, qr/count:5/, 'the session\'s uses were written while it waited');
like($out, qr/cache:true,true/, 'and its cache was neither emptied by the flush nor missed afterwards');

# A flush never waits for a row another transaction holds: bb's use stays in shared memory while
# a session keeps bb's row locked, and is written once the lock is gone.
my ($lout, $lerr) = ('', '');
my $locker = IPC::Run::start(
	[ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \"BEGIN;\nSELECT 'locked:' || title FROM hive_tokens.access_tokens WHERE id = '$tok{bb}{id}' FOR UPDATE;\nSELECT pg_sleep(4);\nCOMMIT;\n",
	'>', \$lout, '2>', \$lerr);
my $ldeadline = time + 30;
while ($lout !~ /locked:bb/ && time < $ldeadline)
{
	IPC::Run::pump_nb($locker);
	select(undef, undef, undef, 0.05);
}
$node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tok{bb}{token}')");
sleep 2;
is(uses($node, 'bb'), '1,true', 'a locked row is not written (nor waited for)');
is($node->safe_psql('postgres', "SELECT hive_tokens_internal.usage_pending('$tok{bb}{id}')"), 't', 'its use waits in shared memory');
IPC::Run::finish($locker);
is($lerr, '', 'the session holding the row saw no error (no deadlock, no wait)');
ok($node->poll_query_until('postgres', "SELECT use_count = 2 FROM hive_tokens.tokens WHERE id = '$tok{bb}{id}'"),
	'and is written once the lock is gone');

# Unused tokens: b (last used more than 2 s ago) and c (never used, created more than 2 s ago);
# not a, used just now.
sleep 3;
$node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tok{aa}{token}')");
ok($node->poll_query_until('postgres', "SELECT use_count = 7 FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}'"),
	'a was used again');
# dd, never used, is used inside the listing's own transaction: not unused
is($node->safe_psql('postgres', join "\n",
		"BEGIN;",
		"SELECT 'dd:' || hive_tokens.verify_reason('$tok{dd}{token}');",
		"SELECT string_agg(title, ',' ORDER BY title) FROM hive_tokens.unused_tokens('$org', '2 seconds');",
		"COMMIT;"),
	"dd:ok\nbb,cc", 'unused for 2 seconds: bb and cc (not dd, just used in this very transaction)');
my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT * FROM hive_tokens.unused_tokens('$org', '-1 year 361 days')");
like($stderr, qr/unused_for must reach back in time/, 'an interval that compares as a day but reaches into the future: 22023');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT * FROM hive_tokens.unused_tokens('$org', '1 hour')");
like($stderr, qr/token usage has been tracked only since/, 'longer than uses have been counted: refused');

$node->safe_psql('postgres', qq{
CREATE ROLE ops LOGIN IN ROLE hive_tokens_admin;
GRANT EXECUTE ON FUNCTION hive_tokens.unused_tokens(uuid, interval), hive_tokens.revoke_unused_tokens(uuid, interval),
    hive_tokens.revoke(uuid) TO ops;
});
is($node->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.revoke_unused_tokens('$org', '2 seconds')",
		extra_params => [ '-U', 'ops' ]),
	'2', 'ops revokes the two unused tokens');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM hive_tokens.audit_log WHERE event = 'revoked' AND actor_role = 'ops' AND organization_id = '$org' AND details ? 'unused_since'"),
	'2', 'both revocations are in the audit log, by ops, as revocations of unused tokens');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM hive_tokens.unused_tokens('$org', '2 seconds'); COMMIT;");
like($stderr, qr/only in READ COMMITTED/, 'a transaction snapshot could miss a flush: refused');
is($node->safe_psql('postgres',
		"SELECT hive_tokens.verify_reason('$tok{aa}{token}') || ',' || hive_tokens.verify_reason('$tok{bb}{token}') || ',' || hive_tokens.verify_reason('$tok{cc}{token}')"),
	'ok,revoked,revoked', 'a still works; b and c are revoked');
ok($node->poll_query_until('postgres', "SELECT use_count = 8 FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}'"),
	'a\'s count keeps going');
ok($node->poll_query_until('postgres', 'SELECT pending_tokens = 0 FROM hive_tokens.usage_tracking()'),
	'nothing is left over in shared memory');

# A use that is not counted (a superuser's session with track_usage off) makes unused_tokens()
# refuse any interval reaching back before it: it could not tell that token from an unused one.
$node->safe_psql('postgres', "SET hive_tokens.track_usage = off; SELECT hive_tokens.verify_reason('$tok{aa}{token}')");
is($node->safe_psql('postgres', 'SELECT uncounted_at IS NOT NULL FROM hive_tokens.usage_tracking()'), 't',
	'the uncounted use is on record');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT * FROM hive_tokens.unused_tokens('$org', '2 seconds')");
like($stderr, qr/a use of a token went uncounted at/, 'unused_tokens() refuses an interval that reaches back before it');

# A database whose default is read-only (its owner's setting) is still written by the flush.
$node->safe_psql('postgres', 'CREATE DATABASE ro');
$node->safe_psql('ro', 'CREATE EXTENSION hive_tokens');
my ($ro_id, $ro_token) = split /\|/, $node->safe_psql('ro',
	"SELECT token_id, token FROM hive_tokens.issue('$org', 'read-only db', '{usage:report}')");
$node->safe_psql('postgres', 'ALTER DATABASE ro SET default_transaction_read_only = on');
is($node->safe_psql('ro', "SELECT hive_tokens.verify_reason('$ro_token')"), 'ok', 'a read-only session verifies');
ok($node->poll_query_until('ro', "SELECT use_count = 1 FROM hive_tokens.tokens WHERE id = '$ro_id'"),
	'and the flush writes its use whatever the database\'s defaults');
is($node->safe_psql('ro', 'SELECT uncounted_at IS NULL FROM hive_tokens.usage_tracking()'), 't',
	'the other database\'s uncounted use does not hold up this one');

# Uses not yet written survive a clean restart (the postmaster writes them out at shutdown and
# the next start reads them back): with an hour between flushes, two uses wait in shared memory.
$node->safe_psql('postgres', 'ALTER SYSTEM SET hive_tokens.usage_flush_interval = 3600; SELECT pg_reload_conf()');
sleep 3;    # the launcher wakes once more on the old interval and then waits an hour
$node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tok{aa}{token}');\nSELECT hive_tokens.verify_reason('$tok{aa}{token}');");
is($node->safe_psql('postgres', 'SELECT pending_tokens FROM hive_tokens.usage_tracking()'), '1', 'a\'s two uses wait in shared memory');
is(uses($node, 'aa'), '8,true', 'not written yet');
my $since = $node->safe_psql('postgres', 'SELECT since FROM hive_tokens.usage_tracking()');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET hive_tokens.usage_flush_interval');
$node->restart;
ok($node->poll_query_until('postgres', "SELECT use_count = 10 FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}'"),
	'after a clean restart the worker writes them');
is($node->safe_psql('postgres', 'SELECT since FROM hive_tokens.usage_tracking()'), $since,
	'and uses still count as tracked since the first start');
ok(!-e $node->data_dir . '/pg_stat/hive_tokens_usage.stat', 'the file that carried them is gone');
is($node->safe_psql('postgres', 'SELECT uncounted_at IS NOT NULL FROM hive_tokens.usage_tracking()'), 't',
	'the uncounted use is still on record after the restart');

# A hot standby verifies, counts nothing and writes nothing.
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('usage_standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
chmod 0600, $standby->data_dir . '/hive_tokens.key';
$standby->start;
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT active FROM hive_tokens.usage_tracking()'), 'f', 'the standby counts no uses');
is($standby->safe_psql('postgres', join "\n", map { "SELECT hive_tokens.verify_reason('$tok{aa}{token}');" } 1 .. 5),
	join("\n", ('ok') x 5), 'it verifies');
($ret, $stdout, $stderr) = $standby->psql('postgres', "SELECT * FROM hive_tokens.unused_tokens('$org', '1 second')");
like($stderr, qr/not being tracked on this server.*\n.*hot standby/s, 'unused tokens are the primary\'s question');
sleep 3;
$node->wait_for_catchup($standby);
is(uses($node, 'aa'), '10,true', 'uses on the standby were not counted on the primary');
is($standby->safe_psql('postgres', "SELECT use_count FROM hive_tokens.tokens WHERE id = '$tok{aa}{id}'"), '10',
	'the standby shows the primary\'s count');
unlike(slurp_file($standby->logfile), qr/read-only transaction|hive_tokens usage/, 'nothing on the standby tried to write');

# Promoted, the standby counts from the promotion on: nothing before it was counted here (and the
# old primary's unwritten uses are not here), so no interval reaching back before it is answered.
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()');
is($standby->safe_psql('postgres', 'SELECT active FROM hive_tokens.usage_tracking()'), 't', 'promoted, it counts');
($ret, $stdout, $stderr) = $standby->psql('postgres', "SELECT * FROM hive_tokens.unused_tokens('$org', '5 seconds')");
like($stderr, qr/tracked only since/, 'but not for uses before the promotion');

$standby->stop;
$node->stop;
done_testing();
