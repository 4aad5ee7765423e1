# No token reaches the server log, whatever error a token path raises: the statement that
# carried the token (log_min_error_statement) and the CONTEXT lines of PL/pgSQL, DO blocks and
# COPY are hidden from the log for every error the extension raises on a path that received a
# token. The client still gets the full error. Tokens are passed as literals here on purpose:
# that is the worst case.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('log');
$node->init;
# Cluster.pm logs every statement by default; applications do not. Everything else is at its most
# talkative: every error logs its statement and its CONTEXT, verbosely.
$node->append_conf('postgresql.conf',
	"log_statement = none\nlog_min_error_statement = error\nlog_error_verbosity = verbose\nlog_min_messages = info\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION hive_tokens');
my $org = '77777777-7777-4777-8777-777777777777';
my @tokens = map {
	$node->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'log test $_', '{usage:report}')")
} 1 .. 3;
my ($t1, $t2, $t3) = @tokens;
my $rev_id = $node->safe_psql('postgres', "SELECT (hive_tokens.verify('$t3')).id");
$node->safe_psql('postgres', "SELECT hive_tokens.revoke('$rev_id')");
# a mistyped token is nearly a secret too: one character changed
(my $typo = $t1) =~ s/^(.{40})(.)/$1 . ($2 eq 'a' ? 'b' : 'a')/e;
push @tokens, $typo;

$node->safe_psql('postgres', qq{
	CREATE TABLE held (t hive_tokens.access_token);
	CREATE FUNCTION twice() RETURNS void LANGUAGE plpgsql AS \$\$
	BEGIN
		PERFORM hive_tokens.authenticate('$t1');
		PERFORM hive_tokens.authenticate('$t2');
	END \$\$;
	CREATE PROCEDURE commit_then_fail(t text) LANGUAGE plpgsql AS \$\$
	BEGIN
		PERFORM hive_tokens.verify(t);
		COMMIT;
		PERFORM 1 / 0;
	END \$\$;
	CREATE TABLE dl (id int PRIMARY KEY, v int);
	INSERT INTO dl VALUES (1, 0), (2, 0);
});

# Each case must fail, with the SQLSTATE shown, and must not put a token in the log.
my @cases = (
	[ 'second authenticate() in a transaction', '25000', "BEGIN; SELECT hive_tokens.authenticate('$t1'); SELECT hive_tokens.authenticate('$t2');" ],
	[ 'hash() with the key file missing, under force_parallel_mode', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SET force_parallel_mode = on; SELECT hive_tokens.hash(t) FROM (VALUES ('$t1')) AS v(t);" ],
	[ 'assert_can() refusing after authenticate() in a DO block', '42501',
	  "BEGIN; DO \$\$ BEGIN PERFORM hive_tokens.authenticate('$t1'); PERFORM hive_tokens.assert_can('schemaVersion:publish', '$org', '$org', '$org', 'svc'); END \$\$;" ],
	[ 'an unknown action after authenticate() in the same statement', '42704',
	  "BEGIN; SELECT hive_tokens.authenticate('$t1'), hive_tokens.can('no:such', '$org');" ],
	[ 'an unrelated error after verify() in the same statement', '22012',
	  "SELECT 1 / (SELECT count(*) - 1 FROM hive_tokens.verify('$t2'));" ],
	[ 'a mistyped token cast under force_parallel_mode', '22P02',
	  "SET force_parallel_mode = on; SELECT t::hive_tokens.access_token FROM (VALUES ('$typo')) AS v(t);" ],
	[ 'authenticate() outside a transaction block', '25000', "SELECT hive_tokens.authenticate('$t1');" ],
	[ 'authenticate() after a rolled-back savepoint', '25000',
	  "BEGIN; SAVEPOINT s; SELECT hive_tokens.authenticate('$t1'); ROLLBACK TO s; SELECT hive_tokens.authenticate('$t2');" ],
	[ 'second authenticate() in a DO block', '25000',
	  "BEGIN; DO \$\$ BEGIN PERFORM hive_tokens.authenticate('$t1'); PERFORM hive_tokens.authenticate('$t2'); END \$\$;" ],
	[ 'second authenticate() in a PL/pgSQL function', '25000', "BEGIN; SELECT twice();" ],
	[ 'a mistyped token', '28000', "BEGIN; SELECT hive_tokens.authenticate('$typo');" ],
	[ 'a revoked token', '28000', "BEGIN; SELECT hive_tokens.authenticate('$t3');" ],
	[ 'a mistyped access_token literal', '22P02', "SELECT '$typo'::hive_tokens.access_token;" ],
	[ 'a mistyped token in COPY', '22P02', "COPY held FROM STDIN;\n$typo\n\\.\n" ],
	[ 'a mistyped access_token literal in a DO block', '22P02',
	  "DO \$\$ BEGIN PERFORM '$typo'::hive_tokens.access_token; END \$\$;" ],
	[ 'a mistyped access_token in dynamic SQL', '22P02',
	  "DO \$\$ BEGIN EXECUTE format('SELECT hive_tokens.verify(%L::hive_tokens.access_token)', '$typo'); END \$\$;" ],
	[ 'verify() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.verify('$t1');" ],
	[ 'authorize() with an unknown action', '42704', "SELECT hive_tokens.authorize('$t1', 'no:such', '$org');" ],
	[ 'authorize() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.authorize('$t2', 'usage:report', '$org');" ],
	[ 'verify_reason() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.verify_reason('$t2');" ],
	[ 'hash() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.hash('$t1');" ],
	[ 'authenticate() with the key file missing, in a DO block', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; BEGIN; DO \$\$ BEGIN PERFORM hive_tokens.authenticate('$t2'); END \$\$;" ],
	# the statement stays the same after a COMMIT inside it
	[ 'an error after a COMMIT in a procedure given a token', '22012', "CALL commit_then_fail('$t1');" ],
	[ 'an error after COMMIT in the same multi-statement query', '22012',
	  "BEGIN\\; SELECT hive_tokens.authenticate('$t1')\\; COMMIT\\; SELECT 1 / 0;" ],
);
for my $c (@cases)
{
	my ($name, $state, $sql) = @$c;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql", on_error_stop => 1);
	isnt($ret, 0, "$name: fails");
	like($err, qr/ERROR:  $state:/, "$name: SQLSTATE $state");
}

# The extended query protocol (what drivers use). A token bound as a parameter is read at Bind,
# a literal at Parse; the error comes at Execute (or at Bind, folded by the planner), with the
# parameters in the CONTEXT line when log_parameter_max_length_on_error asks for them (any
# client may). None of it is logged.
sub pgbench
{
	my ($script_text, @args) = @_;
	my $script = $node->basedir . '/pgbench.sql';
	open(my $fh, '>', $script) or die;
	print $fh $script_text;
	close $fh;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'pgbench', '-n', '-t', '1', '-M', 'extended', @args, '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres' ], '>', \$out, '2>', \$err);
	return ($ok, $err);
}
my ($ok, $pb_err) = pgbench("SET log_parameter_max_length_on_error = -1;\n"
	  . "SELECT :tok::hive_tokens.access_token IS NOT NULL, 1 / (random() * 0)::int;\n", '-D', "tok=$t1");
ok(!$ok && $pb_err =~ /division by zero/, 'extended protocol: a bound token, then an error at Execute');
($ok, $pb_err) = pgbench("SET log_parameter_max_length_on_error = -1;\n"
	  . "SELECT '$t2'::hive_tokens.access_token IS NOT NULL, 1 / :zero::int;\n", '-D', 'zero=0');
ok(!$ok && $pb_err =~ /division by zero/, 'extended protocol: a token literal, then an error at Bind');

# A JSON body holding a token that fails to parse at Bind, before any token function ran: the
# error quotes the last bytes of its input (the token's tail, without its prefix).
# (The first statement loads the library: without preloading, the guard exists from then on.)
($ok, $pb_err) = pgbench("SELECT hive_tokens.current_token_id();\nSELECT hive_tokens.authenticate((:body::jsonb)->>'token');\n",
	'-D', "body={\"token\": \"$t3\",}");
ok(!$ok && $pb_err =~ /invalid input syntax for type json/, 'extended protocol: a JSON body with a token fails to parse');
unlike($pb_err, qr/\Q@{[substr($t3, 40, 20)]}\E/, 'the client\'s copy of the parse error does not quote the token either');

# A pipeline (one transaction until Sync) may authenticate, then query under the principal; the
# same statements each followed by a Sync may not (the principal ended with the first).
($ok, $pb_err) = pgbench("\\startpipeline\nSELECT hive_tokens.authenticate(:tok);\n"
	  . "SELECT 1 / (hive_tokens.current_token_id() IS NOT NULL)::int;\n\\endpipeline\n", '-D', "tok=$t2");
ok($ok, 'extended protocol: a pipeline authenticates, then queries under the principal') or diag($pb_err);
($ok, $pb_err) = pgbench("SELECT hive_tokens.authenticate(:tok);\n"
	  . "SELECT 1 / (hive_tokens.current_token_id() IS NOT NULL)::int;\n", '-D', "tok=$t2");
ok(!$ok && $pb_err =~ /division by zero/, 'extended protocol: without a pipeline the principal ends at Sync');

# Positive control: the errors were logged (so the check below looks at the right place), with
# their messages, but without statement or context.
my $log = slurp_file($node->logfile);
like($log, qr/this transaction already has a principal/, 'errors of token paths are logged');
like($log, qr/access token rejected/, 'rejections are logged');
like($log, qr/missing key file "no_such.key"/, 'key file errors are logged');
# (no token literal anywhere: not the whole token, not any 20 characters of its secret part)
my $leaks = 0;
for my $t (@tokens)
{
	for (my $i = 9; $i + 20 <= length $t; $i += 10)
	{
		if (index($log, substr($t, $i, 20)) >= 0)
		{
			$leaks++;
			diag("token text at offset $i found in the server log");
			last;
		}
	}
}
is($leaks, 0, 'no token text appears in the server log');
unlike($log, qr/STATEMENT:.*hive_tokens\.(authenticate|verify|hash)\('/, 'no statement that passed a token literal is logged');
unlike($log, qr/QUERY:.*hvo2_/, 'no internal query holding a token is logged');

# With the library preloaded (the recommended setup), every backend has the log guard from its
# first statement: also a leader that never called the extension itself, re-raising an error of
# access_token input that a parallel worker hit inside an array literal.
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'hive_tokens'\n");
$node->restart;
my $offset = -s $node->logfile;
my ($ret, $out, $err) = $node->psql('postgres',
	"SET force_parallel_mode = on; SELECT ('{' || t || '}')::hive_tokens.access_token[] FROM (VALUES ('$typo')) AS v(t);");
like($err, qr/ERROR:  invalid access token/, 'preloaded: a mistyped token in an array fails in a parallel worker');
# Preloaded, masking covers what the extension never sees: statements logged by log_statement
# before it runs, and a token a client prints with RAISE (the client gets it masked too).
($ret, $out, $err) = $node->psql('postgres',
	"SET log_statement = 'all'; SELECT hive_tokens.verify('$t1') IS NOT NULL; DO \$\$ BEGIN RAISE WARNING 'the token is %', '$t2'; END \$\$;");
like($err, qr/WARNING:  the token is hvo2_\w{4}\*{67}$/m, 'preloaded: a token in a message reaches the client masked');
# A deadlock report lists every process's query: the other session's statement holding a token is
# masked there (the victim never called the extension: only preloading gives it the hook).
# Session A takes row 1 and waits for row 2 with a token in its statement; session B, the victim
# (it checks for deadlocks first), holds row 2 and asks for row 1.
my $a_script = $node->basedir . '/deadlock_a.sql';
open(my $afh, '>', $a_script) or die;
print $afh "SET deadlock_timeout = '60s';\nBEGIN;\nUPDATE dl SET v = 1 WHERE id = 1;\nSELECT pg_sleep(1);\n"
  . "UPDATE dl SET v = 2 WHERE id = 2 AND EXISTS (SELECT FROM hive_tokens.verify('$t1'));\nCOMMIT;\n";
close $afh;
my ($a_out, $a_err) = ('', '');
my $a = IPC::Run::start([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-f', $a_script, 'postgres' ],
	'>', \$a_out, '2>', \$a_err);
($ret, $out, $err) = $node->psql('postgres',
	"SET deadlock_timeout = '100ms'; BEGIN; UPDATE dl SET v = 3 WHERE id = 2; SELECT pg_sleep(2); UPDATE dl SET v = 4 WHERE id = 1;");
like($err, qr/deadlock detected/, 'deadlock: the session holding no token is the victim');
$a->finish;
my $tail = substr(slurp_file($node->logfile), $offset);
like($tail, qr/invalid access token/, 'preloaded: the error is logged');
like($tail, qr/Process \d+: UPDATE dl SET v = 2 .*verify\('hvo2_\w{4}\*{67}'\)/, 'preloaded: a deadlock report lists the token statement, masked');
like($tail, qr/statement: SELECT hive_tokens\.verify\('hvo2_\w{4}\*{67}'\)/, 'preloaded: log_statement logs the statement, masked');
unlike($tail, qr/STATEMENT:.*(hvo2_|hive_tokens)/, 'preloaded: errors of token statements without their statement');
my $tail_leaks = grep { index($tail, substr($_, 9, 20)) >= 0 } @tokens;
is($tail_leaks, 0, 'preloaded: no token text in the log');

$node->stop;
done_testing();
