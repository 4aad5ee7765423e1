# The Node.js example (examples/node): its tests (node's test runner) against a real cluster,
# directly and through pgbouncer in transaction pooling mode. Each of its tests is one check here.
# Afterwards the server log must hold no "access token rejected" (the example authenticates with
# try_authenticate(), so bad tokens cost no ERROR line) and no token.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib "$FindBin::RealBin/lib";
use HtPgBouncer;

my $root = $ENV{HT_ROOT} or die 'HT_ROOT must name the repository (scripts/test.sh sets it)';
my $example = "$root/examples/node";
ok(-x $HtPgBouncer::BINARY, 'pgbouncer is installed');
ok(-d "$example/node_modules/pg", 'the example\'s dependencies are installed (npm ci, by scripts/test.sh)');

my $node = PostgreSQL::Test::Cluster->new('node_example');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'hive_tokens'\nlog_min_messages = warning\n");
$node->start;

my ($bouncer, $bport) = HtPgBouncer::start($node, user => 'app', max_client_conn => 200, reset_always => 1);
my ($host, $port) = ($node->host, $node->port);

my $user = getpwuid($<);
local $ENV{HT_TEST_ADMIN} = qq({"host": "$host", "port": $port, "user": "$user", "database": "postgres"});
local $ENV{HT_TEST_TARGETS} = qq([{"name": "direct", "host": "$host", "port": $port, "user": "app", "database": "postgres"},)
  . qq({"name": "pgbouncer", "host": "127.0.0.1", "port": $bport, "user": "app", "database": "postgres"}]);
my ($out, $err) = ('', '');
my $ran = IPC::Run::run([ 'node', '--test', '--test-reporter=tap', 'test/' ],
	'>', \$out, '2>', \$err, init => sub { chdir $example or die "chdir $example: $!" },
	IPC::Run::timeout(300));
my ($checks, $failures) = (0, 0);
for my $line (split /\n/, $out)
{
	next unless $line =~ /^(\s*)(not )?ok \d+ - (.*?)(?: # SKIP.*)?$/;
	my ($indent, $failed, $name) = ($1, $2, $3);
	$checks++;
	$failures++ if $failed;
	ok(!$failed, ($indent eq '' ? '' : '  ') . "node: $name");
}
cmp_ok($checks, '>=', 20, 'node ran every test (unit, and the API through both targets)');
is($failures, 0, 'node reported no failure') or diag("stdout:\n$out\nstderr:\n$err");
unlike($out, qr/# SKIP/, 'no test was skipped');
ok($ran, 'node exited with status 0');

# The schema field marks the extension's PL/pgSQL RAISEs too (added when the server reports them),
# never a RAISE of the user's own function.
my ($verbose_out, $verbose_err) = ('', '');
$node->psql('postgres', "\\set VERBOSITY verbose\nSELECT hive_tokens.policy_expression('no:such', 'organization_id');",
	stdout => \$verbose_out, stderr => \$verbose_err);
like($verbose_err, qr/42704.*\n(?:.*\n)*SCHEMA NAME:\s+hive_tokens/, 'a RAISE of the extension\'s PL/pgSQL carries the schema field hive_tokens');
$node->psql('postgres', "CREATE FUNCTION public.mine() RETURNS void LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '42501'; END\$\$;\n"
	  . "\\set VERBOSITY verbose\nSELECT public.mine();", stdout => \$verbose_out, stderr => \$verbose_err);
unlike($verbose_err, qr/SCHEMA NAME/, 'a RAISE of the user\'s own function does not');

HtPgBouncer::stop($bouncer);
$node->stop;
my $log = slurp_file($node->logfile);
unlike($log, qr/access token rejected/, 'no rejected token made an ERROR in the server log (try_authenticate)');
unlike($log, qr/hv[opu]2_[A-Za-z0-9]{20}/, 'no token in the server log');
like($log, qr/Missing permission for performing/, 'the refusals the tests provoked are in the log (the log was read)');
done_testing();
