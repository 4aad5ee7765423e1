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
});

# Each case must fail, with the SQLSTATE shown, and must not put a token in the log.
my @cases = (
	[ 'second authenticate() in a transaction', '25000', "BEGIN; SELECT hive_tokens.authenticate('$t1'); SELECT hive_tokens.authenticate('$t2');" ],
	[ 'hash() with the key file missing, under force_parallel_mode', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SET force_parallel_mode = on; SELECT hive_tokens.hash(t) FROM (VALUES ('$t1')) AS v(t);" ],
	[ 'assert_can() refusing after authenticate() in a DO block', '42501',
	  "BEGIN; DO \$\$ BEGIN PERFORM hive_tokens.authenticate('$t1'); PERFORM hive_tokens.assert_can('schemaVersion:publish', '$org', '$org', '$org', 'svc'); END \$\$;" ],
	[ 'an unknown action after authenticate() in the same statement', '22023',
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
	[ 'verify_reason() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.verify_reason('$t2');" ],
	[ 'hash() with the key file missing', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; SELECT hive_tokens.hash('$t1');" ],
	[ 'authenticate() with the key file missing, in a DO block', '58P01',
	  "SET hive_tokens.key_file = 'no_such.key'; BEGIN; DO \$\$ BEGIN PERFORM hive_tokens.authenticate('$t2'); END \$\$;" ],
);
for my $c (@cases)
{
	my ($name, $state, $sql) = @$c;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql", on_error_stop => 1);
	isnt($ret, 0, "$name: fails");
	like($err, qr/ERROR:  $state:/, "$name: SQLSTATE $state");
}

# The extended query protocol (what drivers use) with a bind parameter: authenticate() as the
# client's own statement outside a transaction block is refused there too.
my $script = $node->basedir . '/auth.sql';
open(my $fh, '>', $script) or die;
print $fh "\\set unused 1\nSELECT hive_tokens.authenticate('$t2');\n";
close $fh;
my ($pb_out, $pb_err) = ('', '');
IPC::Run::run([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-f', $script, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$pb_out, '2>', \$pb_err);
like($pb_err, qr/authenticate\(\) can only be used in a transaction block/, 'extended protocol: refused outside a transaction block');

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
unlike($log, qr/STATEMENT:.*hive_tokens\.(authenticate|verify|hash)/, 'no statement of a token path is logged');
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
my $tail = substr(slurp_file($node->logfile), $offset);
like($tail, qr/invalid access token/, 'preloaded: the error is logged');
unlike($tail, qr/STATEMENT:|hvo2_/, 'preloaded: without its statement');

$node->stop;
done_testing();
