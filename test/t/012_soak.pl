# Soak: a bounded mixed load from many clients over TCP on loopback. Each client is an unprivileged
# role (a member of hive_tokens_admin) running a fixed number of transactions, one operation each,
# on tokens it issued itself in organizations it shares with the other clients: authenticate() and
# a read of a protect()ed table, authenticate() and can(), authorize(), issue(), rotate(), revoke(),
# and authenticate() of a token it revoked or rotated away (which must fail, in a subtransaction).
# Every answer is checked as it happens; afterwards every token the run believes alive verifies,
# every revoked or replaced one does not, no transaction began with a principal, no client saw an
# error, and each backend's private memory (RssAnon) grew by less than a bound after warming up.
#
# The clients run first inside a procedure (a transaction per operation, no round trips: the
# most transactions per second, and each backend's memory sampled), then through pgbench (a round
# trip per transaction, on token pools of their own).
# Size: HT_SOAK_CLIENTS clients x HT_SOAK_OPS transactions, then a quarter as many through pgbench
# (8 x 5000 and 8 x 1250 in the test command); HT_SOAK=long makes it 16 x 100000 and 16 x 25000.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $long = ($ENV{HT_SOAK} // '') eq 'long';
my $clients = $ENV{HT_SOAK_CLIENTS} // ($long ? 16 : 8);
my $ops = $ENV{HT_SOAK_OPS} // ($long ? 100000 : 5000);
my $memory_bound_kb = 8192;    # growth of one backend's RssAnon from a fifth of the run to its end

my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'hive_tokens'\nhive_tokens.usage_flush_interval = 1\n"
	  . "listen_addresses = '127.0.0.1'\nmax_connections = 40\nlog_statement = none\nlog_min_error_statement = panic\n");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION hive_tokens;
	CREATE ROLE soak LOGIN IN ROLE hive_tokens_admin, pg_read_server_files;
	CREATE SCHEMA soak;
	GRANT USAGE ON SCHEMA soak TO soak;
	GRANT EXECUTE ON FUNCTION hive_tokens.issue, hive_tokens.rotate, hive_tokens.revoke TO soak;
	GRANT EXECUTE ON FUNCTION pg_read_file(text) TO soak;    -- for /proc/self/status
	-- four organizations; the k-th has 3k rows in the protected table
	CREATE TABLE soak.orgs (k int PRIMARY KEY, org uuid NOT NULL, nrows int NOT NULL);
	INSERT INTO soak.orgs SELECT k, gen_random_uuid(), 3 * k FROM generate_series(1, 4) AS k;
	CREATE TABLE soak.rows (organization_id uuid NOT NULL, n int NOT NULL);
	INSERT INTO soak.rows SELECT o.org, i FROM soak.orgs AS o, generate_series(1, o.nrows) AS i;
	SELECT hive_tokens.protect('soak.rows', 'member:describe', 'member:modify');
	CREATE TABLE soak.tokens (id uuid PRIMARY KEY, client int NOT NULL, k int NOT NULL, token text NOT NULL,
	    state text NOT NULL DEFAULT 'alive' CHECK (state IN ('alive', 'revoked', 'rotated')));
	CREATE INDEX ON soak.tokens (client, state);
	CREATE TABLE soak.violations (client int, i int, what text);
	CREATE TABLE soak.memory (client int, i int, rss_anon_kb bigint, pid int);
	GRANT SELECT ON soak.orgs, soak.rows TO soak;
	GRANT SELECT, INSERT, UPDATE ON soak.tokens TO soak;
	GRANT INSERT ON soak.violations, soak.memory TO soak;

	CREATE PROCEDURE soak.client(c int, n int, sample_memory boolean DEFAULT true) LANGUAGE plpgsql AS $$
	DECLARE
	    r record;
	    o record;
	    other uuid;
	    op float8;
	    got bigint;
	    failed boolean;
	BEGIN
	    FOR i IN 1..n LOOP
	        op := random();
	        SELECT t.*, s.org, s.nrows INTO r FROM soak.tokens AS t JOIN soak.orgs AS s USING (k)
	        WHERE t.client = c AND t.state = 'alive' ORDER BY random() LIMIT 1;
	        SELECT org INTO other FROM soak.orgs WHERE org IS DISTINCT FROM r.org ORDER BY random() LIMIT 1;
	        IF r.id IS NULL OR op < 0.12 THEN
	            SELECT * INTO o FROM soak.orgs ORDER BY random() LIMIT 1;
	            INSERT INTO soak.tokens (id, client, k, token)
	            SELECT t.token_id, c, o.k, t.token FROM hive_tokens.issue(o.org, 'soak', '{member:describe,member:modify}') AS t;
	        ELSIF op < 0.42 THEN
	            PERFORM hive_tokens.authenticate(r.token);
	            SELECT count(*) INTO got FROM soak.rows;
	            IF got <> r.nrows THEN
	                INSERT INTO soak.violations VALUES (c, i, format('read %s rows, not %s', got, r.nrows));
	            END IF;
	        ELSIF op < 0.60 THEN
	            PERFORM hive_tokens.authenticate(r.token);
	            IF NOT hive_tokens.can('member:describe', r.org) OR hive_tokens.can('member:describe', other)
	               OR hive_tokens.can('organization:delete', r.org) THEN
	                INSERT INTO soak.violations VALUES (c, i, 'can() answered wrongly');
	            END IF;
	        ELSIF op < 0.78 THEN
	            IF NOT hive_tokens.authorize(r.token, 'member:modify', r.org) OR hive_tokens.authorize(r.token, 'member:modify', other) THEN
	                INSERT INTO soak.violations VALUES (c, i, 'authorize() answered wrongly');
	            END IF;
	        ELSIF op < 0.86 THEN
	            INSERT INTO soak.tokens (id, client, k, token)
	            SELECT t.token_id, c, r.k, t.token FROM hive_tokens.rotate(r.id) AS t;
	            UPDATE soak.tokens SET state = 'rotated' WHERE id = r.id;
	        ELSIF op < 0.93 THEN
	            IF NOT hive_tokens.revoke(r.id) THEN
	                INSERT INTO soak.violations VALUES (c, i, 'revoke() found nothing');
	            END IF;
	            UPDATE soak.tokens SET state = 'revoked' WHERE id = r.id;
	        ELSE
	            SELECT * INTO o FROM soak.tokens WHERE client = c AND state <> 'alive' ORDER BY random() LIMIT 1;
	            IF o.id IS NOT NULL THEN
	                failed := false;
	                BEGIN
	                    PERFORM hive_tokens.authenticate(o.token);
	                EXCEPTION WHEN invalid_authorization_specification THEN
	                    failed := true;
	                END;
	                IF NOT failed OR hive_tokens.current_principal_kind() IS NOT NULL THEN
	                    INSERT INTO soak.violations VALUES (c, i, 'a ' || o.state || ' token authenticated');
	                END IF;
	            END IF;
	        END IF;
	        COMMIT;
	        IF hive_tokens.current_principal_kind() IS NOT NULL THEN
	            INSERT INTO soak.violations VALUES (c, i, 'a transaction began with a principal');
	        END IF;
	        IF sample_memory AND (i = greatest(n / 5, 1) OR i = n) THEN
	            INSERT INTO soak.memory VALUES (c, i, (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::bigint,
	                                            pg_backend_pid());
	            COMMIT;
	        END IF;
	    END LOOP;
	END $$;
	GRANT EXECUTE ON PROCEDURE soak.client TO soak;
});

# The clients, over TCP on loopback.
my @sessions;
my $t0 = time;
# (statements as arguments, not on stdin: IPC::Run feeds a harness's stdin only while pumping
# that harness, which would run the clients one after the other)
for my $c (1 .. $clients)
{
	my ($out, $err) = ('', '');
	push @sessions, [ IPC::Run::start(
		[ 'psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', $node->port, '-U', 'soak', '-d', 'postgres',
		  '-c', "CALL soak.client($c, $ops)", '-c', "SELECT 'done', hive_tokens.current_principal_kind() IS NULL" ],
		'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(3600)), \$out, \$err ];
}
# all of them at once: each is running its procedure before the first one ends
ok($node->poll_query_until('postgres',
		"SELECT count(*) = $clients FROM pg_stat_activity WHERE usename = 'soak' AND query LIKE 'CALL soak.client%' AND state = 'active'"),
	"the $clients clients run concurrently")
  or diag($node->safe_psql('postgres', "SELECT client, count(*) FROM soak.tokens GROUP BY 1 ORDER BY 1"));
$_->[0]->finish for @sessions;
note(sprintf('%d clients x %d transactions in %d s', $clients, $ops, time - $t0));

# The same mix with a round trip per transaction: pgbench, one CALL of one operation each, on
# token pools of its own (clients 101 and up).
my $pgbench_ops = int($ops / 4);
my $script = $node->basedir . '/soak.pgbench';
open(my $fh, '>', $script) or die "open: $!";
print $fh "\\set c 101 + :client_id\nCALL soak.client(:c, 1, false);\n";
close $fh;
$t0 = time;
$node->command_ok([ 'pgbench', '-n', '-h', '127.0.0.1', '-p', $node->port, '-U', 'soak', '-c', $clients, '-j', 2,
		'-t', $pgbench_ops, '-f', $script, 'postgres' ],
	"pgbench: $clients clients x $pgbench_ops transactions, one round trip each, without an error");
note(sprintf('pgbench: %d clients x %d transactions in %d s', $clients, $pgbench_ops, time - $t0));
is(scalar(grep { ${ $_->[1] } =~ /^done\|t$/m } @sessions), $clients, 'every client ran to the end and ended without a principal');
is(join('', map { ${ $_->[2] } } @sessions), '', 'no client saw an error or a notice');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE usename = 'soak'"), '0', 'every client disconnected');

is($node->safe_psql('postgres', "SELECT coalesce(string_agg(format('client %s at %s: %s', client, i, what), '; '), '') FROM soak.violations"),
	'', 'every answer during the run was right: RLS rows, can(), authorize(), refused tokens, no principal carried over');

my ($alive, $revoked, $rotated) = split /\|/, $node->safe_psql('postgres',
	"SELECT count(*) FILTER (WHERE state = 'alive'), count(*) FILTER (WHERE state = 'revoked'), count(*) FILTER (WHERE state = 'rotated') "
	  . 'FROM soak.tokens');
note("tokens: $alive alive, $revoked revoked, $rotated rotated");
ok($revoked > 0 && $rotated > 0, 'the run revoked and rotated tokens');
is($node->safe_psql('postgres', q{
		SET hive_tokens.track_usage = off;
		SELECT coalesce(string_agg(DISTINCT outcome, ', '), '')
		FROM (SELECT state || ' -> ' || coalesce(hive_tokens.verify_reason(token), 'NULL') AS outcome FROM soak.tokens) AS t}),
	join(', ', 'alive -> ok', 'revoked -> revoked', 'rotated -> expired'),
	'every token the run believes alive verifies; every revoked one is revoked; every replaced one has expired');
is($node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM hive_tokens.access_tokens WHERE title = 'soak' AND rotated_to IS NULL)
		     = (SELECT count(*) FROM soak.tokens WHERE state = 'alive')}),
	't', 'the extension holds exactly the live tokens the run made');
is($node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM hive_tokens.audit_log WHERE event = 'issued')
		     = (SELECT count(*) FROM soak.tokens) - (SELECT count(*) FROM soak.tokens WHERE state = 'rotated')
		   AND (SELECT count(*) FROM hive_tokens.audit_log WHERE event = 'revoked') = (SELECT count(*) FROM soak.tokens WHERE state = 'revoked')
		   AND (SELECT count(*) FROM hive_tokens.audit_log WHERE event = 'rotated') = (SELECT count(*) FROM soak.tokens WHERE state = 'rotated')}),
	't', 'one audit event per issue, revoke and rotation (a replacement is named by its rotation\'s event)');
my $growth = $node->safe_psql('postgres', q{
	SELECT string_agg(format('client %s: %s kB -> %s kB', a.client, a.rss_anon_kb, b.rss_anon_kb), '; ' ORDER BY a.client),
	       max(b.rss_anon_kb - a.rss_anon_kb)
	FROM soak.memory AS a JOIN soak.memory AS b ON b.client = a.client AND b.i > a.i});
my ($detail, $max_growth) = split /\|/, $growth;
note("RssAnon: $detail");
SKIP:
{
	# AddressSanitizer's quarantine keeps freed memory for a while (scripts/asan-regress.sh)
	skip 'memory is not comparable under AddressSanitizer', 1 if defined $ENV{ASAN_OPTIONS};
	ok(defined $max_growth && $max_growth ne '' && $max_growth < $memory_bound_kb,
		"no backend's private memory grew by $memory_bound_kb kB or more after warming up (largest growth: "
		  . ($max_growth // '?') . ' kB)');
}
unlike(slurp_file($node->logfile), qr/PANIC|TRAP|was terminated by signal|exited with exit code [1-9]/,
	'no crash in the server log (of a backend or a background worker)');

$node->stop;
done_testing();
