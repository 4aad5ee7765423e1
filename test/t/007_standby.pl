# A hot standby verifies tokens with its own verified-token cache, and a revoke or a rotation on
# the primary reaches a standby session that has the token cached as soon as the standby has
# replayed it (the relcache invalidation travels in the commit record). The standby never writes:
# verification, authorize(), authenticate() and the cache work in a read-only server, and a table
# protect()ed on the primary shows each token exactly its organization's rows on the standby.
# The key file travels with the base backup when it lives in the data directory; when
# hive_tokens.key_file points elsewhere, the standby fails closed, naming the file, until the
# key is copied there, and a standby never makes a key of its own.
use strict;
use warnings;
use Cwd ();
use File::Copy ();
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
$primary->start;
my $org = '00000000-0000-4000-8000-0000000000a7';
my $other = '00000000-0000-4000-8000-0000000000a8';
$primary->safe_psql('postgres', qq{
	CREATE EXTENSION hive_tokens;
	CREATE ROLE app;
	CREATE SCHEMA app;
	GRANT USAGE ON SCHEMA app TO app;
	CREATE TABLE app.reports (organization_id uuid NOT NULL, body text NOT NULL);
	INSERT INTO app.reports SELECT '$org', 'mine ' || i FROM generate_series(1, 3) AS i;
	INSERT INTO app.reports SELECT '$other', 'theirs ' || i FROM generate_series(1, 5) AS i;
	SELECT hive_tokens.protect('app.reports', 'member:describe', 'member:describe');
	GRANT SELECT, INSERT ON app.reports TO app;
});
my ($reader_id, $reader) = split /\|/, $primary->safe_psql('postgres',
	"SELECT token_id, token FROM hive_tokens.issue('$org', 'reader', '{member:describe}')");
my $theirs = $primary->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$other', 'theirs', '{member:describe}')");
my $narrow = $primary->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'narrow', '{project:describe}')");
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

# Row-level security on the standby: the same rules as on the primary.
sub read_as
{
	my ($node, $token) = @_;
	my $auth = defined $token ? "SELECT hive_tokens.authenticate('$token') IS NOT NULL;" : '';
	my ($ret, $out, $err) = $node->psql('postgres',
		"BEGIN; SET LOCAL ROLE app; $auth SELECT count(*) || ':' || coalesce(string_agg(DISTINCT split_part(body, ' ', 1), ','), '') "
		  . 'FROM app.reports; COMMIT;');
	return $ret == 0 ? $out : "error: $err";
}
for my $case ([ 'its organization', $reader, "t\n3:mine" ], [ 'another organization', $theirs, "t\n5:theirs" ],
	[ 'a token without the read action', $narrow, "t\n0:" ], [ 'no token', undef, '0:' ])
{
	my ($name, $token, $want) = @$case;
	is(read_as($standby, $token), $want, "standby, RLS with $name");
	is(read_as($standby, $token), read_as($primary, $token), "  the same rows as on the primary");
}
my ($ret, $stdout, $stderr) = $standby->psql('postgres',
	"BEGIN; SET LOCAL ROLE app; SELECT hive_tokens.authenticate('$reader'); INSERT INTO app.reports VALUES ('$org', 'x'); COMMIT;");
like($stderr, qr/read-only transaction/, 'a write under a principal on the standby is refused as in any read-only server');
$primary->safe_psql('postgres', "SELECT hive_tokens.revoke('$reader_id')");
$primary->wait_for_catchup($standby);
like(read_as($standby, $reader), qr/error: .*access token rejected.*The token is revoked/s, 'once the revoke is replayed, the token no longer authenticates on the standby');
is(read_as($standby, $theirs), "t\n5:theirs", 'the other organization\'s token still reads its rows');
my @unexpected = grep { /ERROR|FATAL|PANIC|WARNING/ && !/cannot execute INSERT in a read-only transaction|access token rejected/ }
  split /\n/, slurp_file($standby->logfile);
is(join("\n", @unexpected), '', 'no other error or warning in the standby\'s log (nothing tried to write)');

# A key file outside the data directory is not in the base backup: the standby must get a copy.
my $keys = Cwd::abs_path($standby->basedir) . '/keys';
mkdir $keys or die "mkdir: $!";
$standby->append_conf('postgresql.conf', "hive_tokens.key_file = '$keys/hive_tokens.key'\n");
$standby->reload;
($ret, $stdout, $stderr) = $standby->psql('postgres', "SELECT hive_tokens.verify_reason('$theirs')");
like($stderr, qr/missing key file "\Q$keys\E\/hive_tokens.key"/, 'with the key elsewhere and not copied, the standby fails closed, naming the file');
ok(!-e "$keys/hive_tokens.key", 'and makes no key there');
File::Copy::copy($primary->data_dir . '/hive_tokens.key', "$keys/hive_tokens.key") or die "copy: $!";
chmod 0600, "$keys/hive_tokens.key";
is($standby->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$theirs')"), 'ok', 'once the key is copied there, tokens verify');
# With the default setting and no key in the data directory, a standby never makes one.
$standby->append_conf('postgresql.conf', "hive_tokens.key_file = ''\n");
unlink $standby->data_dir . '/hive_tokens.key' or die "unlink: $!";
$standby->restart;
($ret, $stdout, $stderr) = $standby->psql('postgres', "SELECT hive_tokens.verify_reason('$theirs')");
like($stderr, qr/missing key file "hive_tokens.key": a server in recovery never creates one/, 'a standby without the key says so');
ok(!-e $standby->data_dir . '/hive_tokens.key', 'and never creates a key of its own');

$standby->stop;
$primary->stop;
done_testing();
