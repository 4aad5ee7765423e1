# Crashes: kill -9 of a backend in the middle of issue(), rotate() and import_hive_tokens(), of
# the usage worker in the middle of a flush and a hash upgrade, and of the postmaster under a load
# of issues. After each recovery: no half-made token (every token row has its issued or imported
# event, every token event its token or tombstone), every committed token verifies with its
# grants, nothing the killed transaction did remains, and usage counts never go backwards.
#
# Each operation is stopped at a known point by a table lock another session holds (SHARE on
# audit_log: issue() has inserted its token and waits to audit it; SHARE on access_tokens: the
# flusher has locked its rows and waits to update them), then its process is killed.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'hive_tokens'\nhive_tokens.usage_flush_interval = 1\n"
	  . "restart_after_crash = on\nlog_statement = none\nlog_min_error_statement = panic\n");
$node->start;
my $org = '00000000-0000-4000-8000-0000000000c1';
$node->safe_psql('postgres', qq{
	CREATE EXTENSION hive_tokens;
	CREATE EXTENSION pgcrypto;
	CREATE SCHEMA app;
	-- Hive's table, 300 tokens hashed with bcrypt (cost 4: fast to make)
	CREATE TABLE app.hive_oat (id uuid PRIMARY KEY, organization_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
	    title text NOT NULL, description text, permissions text[], assigned_resources jsonb, hash text,
	    first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);
	CREATE TABLE app.holders AS
	    SELECT gen_random_uuid() AS id, encode(digest(gen_random_bytes(20), 'sha256'), 'hex') AS secret FROM generate_series(1, 300);
	INSERT INTO app.hive_oat (id, organization_id, title, permissions, hash)
	    SELECT id, '$org', 'from hive', '{project:describe}', crypt(secret, gen_salt('bf', 4)) FROM app.holders;
	CREATE VIEW app.legacy_tokens AS
	    SELECT id, 'hvo1/' || translate(encode(convert_to(id::text || ':' || secret, 'UTF8'), 'base64'), E'\\n', '') AS token FROM app.holders;
	-- the same rows, slowly (an import that takes a few seconds)
	CREATE FUNCTION app.slowly() RETURNS boolean LANGUAGE plpgsql AS 'BEGIN PERFORM pg_sleep(0.01); RETURN true; END';
	CREATE VIEW app.slow_oat AS SELECT * FROM app.hive_oat WHERE app.slowly();
});

# What the test knows to be committed: token => expected verify_reason; token id => use_count seen.
my %alive;
my %id_of;
my %uses_seen;
sub issue
{
	my ($title) = @_;
	my ($id, $token) = split /\|/, $node->safe_psql('postgres',
		"SELECT token_id, token FROM hive_tokens.issue('$org', '$title', '{usage:report,project:describe}')");
	$alive{$token} = 'ok';
	$id_of{$token} = $id;
	return $token;
}
issue("committed $_") for 1 .. 10;
# one committed rotation: its replacement is named by the rotation's event
{
	my $old = issue('rotated');
	my ($id, $token) = split /\|/, $node->safe_psql('postgres', "SELECT token_id, token FROM hive_tokens.rotate('$id_of{$old}')");
	$alive{$old} = 'expired';
	$alive{$token} = 'ok';
	$id_of{$token} = $id;
}

sub check_after
{
	my ($what) = @_;
	my @tokens = sort keys %alive;
	my $quiet = 'SET hive_tokens.track_usage = off;';    # the checks' verifications are not uses
	my $list = join(',', map { "'$_'" } @tokens);
	my $got = $node->safe_psql('postgres',
		"$quiet SELECT string_agg(hive_tokens.verify_reason(t), ',' ORDER BY t) FROM unnest(ARRAY[$list]) AS t");
	is($got, join(',', map { $alive{$_} } @tokens), "$what: every committed token has its state (" . scalar(@tokens) . ' tokens)');
	is($node->safe_psql('postgres',
			"$quiet SELECT count(*) FROM unnest(ARRAY[$list]) AS t WHERE hive_tokens.verify_reason(t) = 'ok' "
			  . "AND hive_tokens.authorize(t, 'usage:report', '$org', '$org', '$org') IS NOT TRUE"),
		'0', "$what: and every live one authorizes with its grants");
	is($node->safe_psql('postgres', q{
			SELECT count(*) FROM hive_tokens.access_tokens AS t
			WHERE NOT EXISTS (SELECT 1 FROM hive_tokens.audit_log AS a
			                  WHERE (a.token_id = t.id AND a.event IN ('issued', 'imported'))
			                     OR (a.event = 'rotated' AND a.details->>'replacement' = t.id::text))}),
		'0', "$what: no token without the event that made it (issued, imported, or a rotation naming it)");
	is($node->safe_psql('postgres', q{
			SELECT count(*) FROM hive_tokens.audit_log AS a
			WHERE a.event IN ('issued', 'imported', 'revoked', 'rotated')
			  AND NOT EXISTS (SELECT 1 FROM hive_tokens.access_tokens AS t WHERE t.id = a.token_id)
			  AND NOT EXISTS (SELECT 1 FROM hive_tokens.revoked_tokens AS r WHERE r.id = a.token_id)}),
		'0', "$what: no audit event of a token that does not exist (no orphaned audit row)");
	my %now = map { split /\|/ } split /\n/, $node->safe_psql('postgres', 'SELECT id, use_count FROM hive_tokens.access_tokens');
	my @backwards = grep { defined $now{$_} && $now{$_} < $uses_seen{$_} } keys %uses_seen;
	is(scalar(@backwards), 0, "$what: no usage count went backwards");
	$uses_seen{$_} = $now{$_} for keys %now;
}

# Starts a psql session in the background running $sql; returns [handle, \stdout, \stderr, timer]
# (read with PostgreSQL::Test::Utils::pump_until).
sub background
{
	my ($sql) = @_;
	$sql .= "\n";    # psql runs a line once it has its newline
	my ($out, $err) = ('', '');
	my $timer = IPC::Run::timer($PostgreSQL::Test::Utils::timeout_default);
	my $h = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
		'<', \$sql, '>', \$out, '2>', \$err, $timer);
	return [ $h, \$out, \$err, $timer ];
}
sub finish_quietly { my ($s) = @_; eval { $s->[0]->finish }; eval { $s->[0]->kill_kill }; }

# A session holding a SHARE lock on $table until it is finished.
sub hold_share_lock
{
	my ($table) = @_;
	my $holder = background("BEGIN; LOCK $table IN SHARE MODE; SELECT 'locked'; SELECT pg_sleep(600);");
	pump_until($holder->[0], $holder->[3], $holder->[1], qr/locked/) or BAIL_OUT("could not lock $table");
	return $holder;
}

# Waits for the recovery after a crash: the server accepts connections again.
sub wait_recovered
{
	my ($what) = @_;
	my $deadline = time + 60;
	sleep 1;
	while (time < $deadline)
	{
		my ($ret) = $node->psql('postgres', 'SELECT 1');
		return 1 if $ret == 0;
		select(undef, undef, undef, 0.2);
	}
	BAIL_OUT("the server did not recover after $what");
}

# Runs $sql in a session that blocks on a SHARE lock of $table held by another session, kills
# that session's process with SIGKILL while it waits, and waits for the crash recovery.
sub kill_while_waiting
{
	my ($what, $table, $sql, $marker) = @_;
	my $holder = hold_share_lock($table);
	my $victim = background($sql);
	my $waiting = "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%$marker%' AND pid <> pg_backend_pid()";
	my $pid = '';
	my $deadline = time + 60;
	while ($pid eq '' && time < $deadline)
	{
		IPC::Run::pump_nb($victim->[0]);    # feeds the session its statement
		select(undef, undef, undef, 0.05);
		$pid = $node->safe_psql('postgres', $waiting);
	}
	isnt($pid, '', "$what: the session waits in the middle of its work");
	# it has written into access_tokens (its row lock on the table is held) before it waits
	is($node->safe_psql('postgres', "SELECT count(*) FROM pg_locks WHERE pid = '$pid' AND granted "
			  . "AND relation = 'hive_tokens.access_tokens'::regclass AND mode = 'RowExclusiveLock'"),
		'1', "$what: after writing its token row")
	  if $table eq 'hive_tokens.audit_log';
	my $log_at = -s $node->logfile;
	is(kill(9, $pid), 1, "$what: kill -9 of its backend");
	wait_recovered($what);
	finish_quietly($_) for ($holder, $victim);
	like(slurp_file($node->logfile, $log_at), qr/server process \(PID $pid\) was terminated by signal 9.*automatic recovery in progress/s,
		"$what: the server went through crash recovery");
}

# 1. issue(): the token row is inserted, its audit event waits.
kill_while_waiting('issue', 'hive_tokens.audit_log',
	"SELECT 'crash-issue', token FROM hive_tokens.issue('$org', 'half-made', '{usage:report}');", 'crash-issue');
is($node->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.access_tokens WHERE title = 'half-made'"), '0',
	'issue: the killed issue left no token');
check_after('issue');

# 2. rotate(): the replacement is issued, the old token marked; the audit waits.
my ($victim_token) = sort grep { $alive{$_} eq 'ok' } keys %alive;
kill_while_waiting('rotate', 'hive_tokens.audit_log',
	"SELECT 'crash-rotate', count(*) FROM hive_tokens.rotate('$id_of{$victim_token}');", 'crash-rotate');
is($node->safe_psql('postgres',
		"SELECT rotated_to IS NULL AND expires_at IS NULL FROM hive_tokens.access_tokens WHERE id = '$id_of{$victim_token}'"),
	't', 'rotate: the token the killed rotation replaced is unchanged');
is($node->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.access_tokens WHERE title LIKE 'committed%' OR title = 'rotated'"), '12',
	'rotate: and no replacement remains');
check_after('rotate');

# 3. import_hive_tokens(): killed after it has read some rows (its progress notices say so).
{
	my $s = background("SELECT * FROM hive_tokens.import_hive_tokens('app.slow_oat', 20);");
	pump_until($s->[0], $s->[3], $s->[2], qr/40 of 300 rows read/);
	like(${ $s->[2] }, qr/40 of 300 rows read \(40 imported/, 'import: 40 rows imported so far');
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE query LIKE '%import_hive_tokens(''app.slow_oat''%' AND pid <> pg_backend_pid()");
	is(kill(9, $pid), 1, 'import: kill -9 of its backend');
	wait_recovered('import');
	finish_quietly($s);
	is($node->safe_psql('postgres',
			"SELECT (SELECT count(*) FROM hive_tokens.access_tokens WHERE legacy_hash IS NOT NULL), "
			  . "(SELECT count(*) FROM hive_tokens.audit_log WHERE event = 'imported')"),
		'0|0', 'import: the killed import left no token and no event');
	check_after('import');
	is($node->safe_psql('postgres', "SELECT imported, skipped FROM hive_tokens.import_hive_tokens('app.hive_oat')"), '300|0',
		'import: run again, it imports every row');
	$alive{$_} = 'legacy' for split /\n/, $node->safe_psql('postgres', 'SELECT token FROM app.legacy_tokens');
	check_after('import again');
}

# 4. The usage worker, killed in the middle of a flush that also upgrades legacy hashes: uses
# counted and written, then more uses and first uses of legacy tokens, then the kill.
my @some = (sort grep { $alive{$_} eq 'ok' } keys %alive)[0 .. 4];
my $use_sql = join("\n", map { "SELECT hive_tokens.verify_reason('$_');" } (@some) x 3);
$node->safe_psql('postgres', $use_sql);
ok($node->poll_query_until('postgres', "SELECT count(*) = 5 FROM hive_tokens.access_tokens WHERE use_count = 3"),
	'usage: three uses of five tokens written');
my @legacy = (sort grep { $alive{$_} eq 'legacy' } keys %alive)[0 .. 2];
$node->safe_psql('postgres', join("\n", $use_sql, map { "SELECT hive_tokens.verify_reason('$_');" } @legacy));
{
	my $holder = hold_share_lock('hive_tokens.access_tokens');
	my $waiting = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'hive_tokens usage flush' AND wait_event_type = 'Lock'";
	ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($waiting) AS w"), 'usage: the flusher waits in the middle of its flush');
	my $pid = $node->safe_psql('postgres', $waiting);
	is(kill(9, $pid), 1, 'usage: kill -9 of the flusher');
	wait_recovered('the usage flush');
	finish_quietly($holder);
}
check_after('usage flush');
is($node->safe_psql('postgres', "SELECT count(*) FROM unnest(ARRAY['" . join("','", @legacy) . "']) AS t "
		  . "WHERE hive_tokens.verify_reason(t) IN ('legacy', 'ok')"),
	'3', 'usage: the legacy tokens whose upgrade was killed still verify');
ok($node->poll_query_until('postgres', "SELECT count(*) = 3 FROM hive_tokens.access_tokens AS t JOIN app.legacy_tokens AS l USING (id) "
		  . "WHERE l.token IN ('" . join("','", @legacy) . "') AND t.legacy_hash IS NULL AND t.hash IS NOT NULL"),
	'usage: after recovery the worker upgrades their hashes (the use that queued it was counted again)');
$node->safe_psql('postgres', $use_sql);
ok($node->poll_query_until('postgres', "SELECT count(*) = 5 FROM hive_tokens.access_tokens WHERE use_count >= 6"),
	'usage: after recovery uses are counted and written again')
  or diag($node->safe_psql('postgres', 'SELECT * FROM hive_tokens.usage_tracking(); SELECT title, use_count FROM hive_tokens.access_tokens WHERE use_count > 0'));
check_after('usage after recovery');

# 5. kill -9 of the postmaster while a client issues tokens one statement at a time: every
# token the client received verifies after the restart; at most the one in flight is extra.
{
	my $s = background(join("\n", map { "SELECT token FROM hive_tokens.issue('$org', 'load', '{usage:report}');" } 1 .. 400));
	pump_until($s->[0], $s->[3], $s->[1], qr/(?:^hv.*\n){50}/m);
	my @got = grep { /^hv/ } split /\n/, ${ $s->[1] };
	cmp_ok(scalar(@got), '>=', 50, 'postmaster: the client received tokens before the kill');
	my $log_at = -s $node->logfile;
	$node->kill9;
	finish_quietly($s);
	@got = grep { /^hv/ } split /\n/, ${ $s->[1] };
	# restart once the killed server's processes have gone (they exit on noticing the postmaster's death)
	my $started = 0;
	for (1 .. 300)
	{
		last if ($started = $node->start(fail_ok => 1));
		select(undef, undef, undef, 0.2);
		$node->stop('fast', fail_ok => 1);    # forget the failed attempt's pid file
	}
	ok($started, 'postmaster: the server starts again after kill -9');
	like(slurp_file($node->logfile, $log_at), qr/database system was interrupted.*automatic recovery in progress/s, 'postmaster: it ran crash recovery');
	$alive{$_} = 'ok' for @got;
	my $made = $node->safe_psql('postgres', "SELECT count(*) FROM hive_tokens.access_tokens WHERE title = 'load'");
	ok($made >= @got && $made <= @got + 1, "postmaster: $made tokens exist for the " . scalar(@got) . ' the client received');
	check_after('postmaster');
}

$node->stop;
done_testing();
