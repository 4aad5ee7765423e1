# A logical-replication subscriber of the token tables: a revoke on the publisher reaches a
# subscriber session that had the token cached, once the apply worker has replayed it (the apply
# worker fires row triggers only: access_tokens_row_changed sends the invalidation).
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pubsub');
$node->init(allows_streaming => 'logical');
$node->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
$node->start;
my $org = '00000000-0000-4000-8000-0000000000a8';
$node->safe_psql('postgres', 'CREATE EXTENSION hive_tokens');
my ($id, $token) = split /\|/, $node->safe_psql('postgres',
	"SELECT token_id, token FROM hive_tokens.issue('$org', 'replicated', '{usage:report}')");
$node->safe_psql('postgres', q{
	CREATE PUBLICATION tokens FOR TABLE hive_tokens.access_tokens, hive_tokens.revoked_tokens;
	SELECT pg_create_logical_replication_slot('tokens', 'pgoutput');
});
$node->safe_psql('postgres', 'CREATE DATABASE sub');
$node->safe_psql('sub', 'CREATE EXTENSION hive_tokens');
my $pub = $node->connstr('postgres');
$pub =~ s/'/''/g;
$node->safe_psql('sub', "CREATE SUBSCRIPTION tokens CONNECTION '$pub' PUBLICATION tokens WITH (create_slot = false, slot_name = 'tokens')");
ok($node->poll_query_until('sub', "SELECT count(*) = 1 FROM hive_tokens.access_tokens WHERE id = '$id'"),
	'the token reached the subscriber');

# one subscriber session caches the token, then asks until it sees the revoke (bounded: 30 s)
my $script = qq{
SELECT 'warm:' || hive_tokens.verify_reason('$token') || hive_tokens.verify_reason('$token');
SELECT 'cached:' || (hits >= 1)::text FROM hive_tokens.verify_cache();
DO \$\$
BEGIN
    FOR i IN 1..300 LOOP
        EXIT WHEN hive_tokens.verify_reason('$token') <> 'ok';
        PERFORM pg_sleep(0.1);
    END LOOP;
END \$\$;
SELECT 'after:' || hive_tokens.verify_reason('$token');
};
my ($out, $err) = ('', '');
my $h = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('sub') ], '<', \$script, '>', \$out, '2>', \$err);
my $deadline = time + 30;
while ($out !~ /cached:/ && time < $deadline)
{
	IPC::Run::pump_nb($h);
	select(undef, undef, undef, 0.05);
}
like($out, qr/warm:okok/, 'the subscriber session verified the token');
like($out, qr/cached:true/, 'and answers it from its cache');
$node->safe_psql('postgres', "SELECT hive_tokens.revoke('$id')");
ok($node->poll_query_until('sub', "SELECT count(*) = 0 FROM hive_tokens.access_tokens WHERE id = '$id'"),
	'the revoke reached the subscriber');
IPC::Run::finish($h);
like($out, qr/after:revoked/, 'and the subscriber session that had the token cached sees it revoked');
unlike($err, qr/ERROR/, 'without an error');

$node->safe_psql('sub', 'DROP SUBSCRIPTION tokens');
$node->stop;
done_testing();
