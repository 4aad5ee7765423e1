# A hot standby verifies tokens with its own verified-token cache, and a revoke or a rotation on
# the primary reaches a standby session that has the token cached as soon as the standby has
# replayed it (the relcache invalidation travels in the commit record). The standby never writes:
# verification, authorize() and the cache work in a read-only server. The key file travels with
# the base backup (it lives in the data directory).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
$primary->start;
my $org = '00000000-0000-4000-8000-0000000000a7';
$primary->safe_psql('postgres', 'CREATE EXTENSION hive_tokens');
my ($revoked_id, $revoked) = split /\|/, $primary->safe_psql('postgres',
	"SELECT token_id, token FROM hive_tokens.issue('$org', 'to revoke', '{usage:report}')");
my ($rotated_id, $rotated) = split /\|/, $primary->safe_psql('postgres',
	"SELECT token_id, token FROM hive_tokens.issue('$org', 'to rotate', '{usage:report}')");
ok(-f $primary->data_dir . '/hive_tokens.key', 'the key file is in the primary\'s data directory');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
# pg_basebackup keeps the key file's mode; the test harness copies the backup with Perl, which
# does not, so the copy is put back to 0600 as the server requires
chmod 0600, $standby->data_dir . '/hive_tokens.key';
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');
is($standby->safe_psql('postgres',
		"SELECT hive_tokens.verify_reason('$revoked'), hive_tokens.authorize('$rotated', 'usage:report', '$org', '$org', '$org')"),
	'ok|t', 'tokens issued on the primary verify and authorize on the standby (the key came with the backup)');

# One standby session caches both tokens, then keeps asking until it sees the changes the
# primary makes meanwhile (bounded: 30 s).
my $script = qq{
SET hive_tokens.verify_cache_size = 100;
SELECT 'warm:' || hive_tokens.verify_reason('$revoked') || ',' || hive_tokens.verify_reason('$rotated');
SELECT hive_tokens.verify_reason('$revoked') || hive_tokens.verify_reason('$rotated') AS again;
SELECT 'cached:' || (hits >= 2)::text FROM hive_tokens.verify_cache();
SELECT pg_sleep(0.01);
DO \$\$
BEGIN
    FOR i IN 1..300 LOOP
        EXIT WHEN hive_tokens.verify_reason('$revoked') <> 'ok' AND hive_tokens.verify_reason('$rotated') <> 'ok';
        PERFORM pg_sleep(0.1);
    END LOOP;
END \$\$;
SELECT 'after:' || hive_tokens.verify_reason('$revoked') || ',' || hive_tokens.verify_reason('$rotated');
};
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', $standby->connstr('postgres') ],
	'<', \$script, '>', \$out, '2>', \$err);
# wait until the session has cached the tokens
my $deadline = time + 30;
while ($out !~ /cached:/ && time < $deadline)
{
	IPC::Run::pump_nb($h);
	select(undef, undef, undef, 0.05);
}
like($out, qr/warm:ok,ok/, 'the standby session verified both tokens');
like($out, qr/cached:true/, 'and answers them from its cache');
$primary->safe_psql('postgres', "SELECT hive_tokens.revoke('$revoked_id')");
$primary->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.rotate('$rotated_id')");
$primary->wait_for_catchup($standby);
IPC::Run::finish($h);
like($out, qr/after:revoked,expired/, 'once replayed, the revoke and the rotation reach the standby session that had them cached');
unlike($err, qr/ERROR/, 'no statement of that session failed (nothing tried to write in recovery)');
is($standby->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$revoked'), hive_tokens.verify_reason('$rotated')"),
	'revoked|expired', 'a new standby session agrees');

$standby->stop;
$primary->stop;
done_testing();
