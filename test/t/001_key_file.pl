# The server key file outside SQL: created once and safely under concurrent first use, 0600,
# what happens when it is lost, and pg_dump/restore of tokens with the key.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('keys');
$node->init;
# Cluster.pm logs every statement by default; a DBA should not (see README, "Tokens and logs"):
# with statement logging off, nothing the extension does may put a token into the log.
$node->append_conf('postgresql.conf', "log_statement = none\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION hive_tokens');
my $keyfile = $node->data_dir . '/hive_tokens.key';
ok(!-e $keyfile, 'no key file before first use');

# Eight sessions issue their first token at the same moment.
my $org = '77777777-7777-4777-8777-777777777777';
my @runs;
for my $i (1 .. 8)
{
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		  "SELECT token FROM hive_tokens.issue('$org', 'concurrent $i', ARRAY['usage:report'])" ],
		'>', \$out, '2>', \$err);
	push @runs, [ $h, \$out, \$err ];
}
my @tokens;
for my $r (@runs)
{
	$r->[0]->finish;
	is(${ $r->[2] }, '', 'concurrent issue without error');
	chomp(my $t = ${ $r->[1] });
	push @tokens, $t;
}
ok(-f $keyfile, 'key file created');
is(sprintf('%04o', (stat $keyfile)[2] & 07777), '0600', 'key file mode is 0600');
my @leftovers = glob($node->data_dir . '/hive_tokens.key.tmp.*');
is(scalar @leftovers, 0, 'no temporary key files left behind');
my $verified = 0;
for my $t (@tokens)
{
	$verified++ if $node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$t')") eq 'ok';
}
is($verified, 8, 'every concurrently issued token verifies: all used the same key');

# pg_dump / restore: the tokens table travels with the dump, the key does not need to.
my $dump = $node->basedir . '/tokens.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore');
is($node->safe_psql('restored', "SELECT hive_tokens.verify_reason('$tokens[0]')"),
	'ok', 'a restored token verifies with the same key file');
is($node->safe_psql('restored', 'SELECT count(*) FROM hive_tokens.access_tokens'),
	'8', 'all tokens restored');

# Losing the key file: a new key is created and every existing token stops verifying.
$node->stop;
unlink $keyfile or die "unlink: $!";
$node->start;
is($node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tokens[0]')"),
	'unknown', 'with the key lost, old tokens no longer verify');
ok(-f $keyfile, 'a fresh key file was created');

# The server log never contains a token.
my $log = slurp_file($node->logfile);
my $leaked = grep { index($log, substr($_, 10, 40)) >= 0 } @tokens;
is($leaked, 0, 'no token appears in the server log');

$node->stop;
done_testing();
