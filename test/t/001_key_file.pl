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
# Cluster.pm logs every statement by default, and PostgreSQL logs the text of a failing
# statement; these tests pass tokens as literals, so both are off here (applications pass
# tokens as bind parameters, see the README). What remains in the log is what the extension
# itself says, and that must never contain a token.
$node->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
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
		  "SELECT token FROM hive_tokens.issue('$org', 'concurrent $i', '{usage:report}')" ],
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

# Losing the key file: the server refuses to make a new key while this database holds tokens
# (a new key would verify none of them), and says how to recover.
$node->stop;
my $key_backup = slurp_file($keyfile);
unlink $keyfile or die "unlink: $!";
$node->start;
my ($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT hive_tokens.verify_reason('$tokens[0]')");
isnt($ret, 0, 'verify fails loudly with the key lost');
like($stderr, qr/missing key file "hive_tokens.key": this database holds tokens hashed under the lost key/,
	'the error says why no new key is made');
like($stderr, qr/Restore the key file/, 'and how to recover');
ok(!-e $keyfile, 'no replacement key was created');

# A database without tokens may create a key (under a random id); the old tokens still do not
# verify under it, and restoring the real key brings them back.
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION hive_tokens');
$node->safe_psql('fresh', "SELECT hive_tokens.issue('$org', 'fresh', '{usage:report}')");
ok(-f $keyfile, 'a key file was created for the database without tokens');
isnt($node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tokens[0]')"),
	'ok', 'old tokens do not verify under the new key');
open(my $fh, '>', $keyfile) or die "open: $!";
print $fh $key_backup;
close $fh;
chmod 0600, $keyfile;
# edits are picked up within a second
sleep 2;
is($node->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$tokens[0]')"),
	'ok', 'restoring the key file brings the tokens back');

# The server log never contains a token.
my $log = slurp_file($node->logfile);
my $leaked = grep { index($log, substr($_, 10, 40)) >= 0 } @tokens;
is($leaked, 0, 'no token appears in the server log');

$node->stop;
done_testing();
