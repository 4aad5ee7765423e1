# Transaction pooling with pgbouncer: many clients with different tokens share few server
# connections; no client ever sees another's principal or rows, and a transaction without
# authenticate() sees no principal and no rows, whichever connection it lands on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib "$FindBin::RealBin/lib";
use HtPgBouncer;

plan skip_all => 'pgbouncer is not installed' unless -x $HtPgBouncer::BINARY;

my $node = PostgreSQL::Test::Cluster->new('pooled');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
$node->start;
my $org = '00000000-0000-4000-8000-0000000000a1';
$node->safe_psql('postgres', qq{
    CREATE EXTENSION hive_tokens;
    CREATE ROLE app LOGIN;
    CREATE TABLE projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL, name text NOT NULL);
    INSERT INTO projects SELECT ('00000000-0000-4000-8000-0000000000b' || g)::uuid, '$org', 'project' || g
      FROM generate_series(1, 6) AS g;
    SELECT hive_tokens.protect('projects', 'project:describe', 'project:modifySettings', project_column => 'id');
    GRANT SELECT ON projects TO app;
});

# Six clients, each with a token for its own project; client 0 sees everything (organization-wide).
my $clients = 6;
my (@tokens, @ids, @expect);
for my $i (0 .. $clients - 1)
{
	my $resources = $i == 0 ? '{"mode": "*"}'
	  : qq({"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b$i", "targets": {"mode": "*"}}]});
	my $row = $node->safe_psql('postgres',
		qq{SELECT token_id || ' ' || token FROM hive_tokens.issue('$org', 'client $i', '{project:describe}', resources => '$resources')});
	my ($id, $token) = split / /, $row;
	push @ids, $id;
	push @tokens, $token;
	push @expect, $i == 0 ? join(',', map { "project$_" } 1 .. 6) : "project$i";
}

# pgbouncer in transaction pooling mode, two server connections for everyone.
my ($bouncer, $bport) = HtPgBouncer::start($node, user => 'app');

# Every client runs 40 rounds: an authenticated transaction, then one without a principal.
my $rounds = 40;
my @runs;
for my $i (0 .. $clients - 1)
{
	my $script = '';
	for my $r (1 .. $rounds)
	{
		$script .= "BEGIN;\n"
		  . "SELECT hive_tokens.authenticate('$tokens[$i]') IS NOT NULL AS ok \\gset\n"
		  . "SELECT 'R|' || coalesce(hive_tokens.current_token_id()::text, 'none') || '|' || coalesce((SELECT string_agg(name, ',' ORDER BY name) FROM projects), '') || '|' || pg_backend_pid();\n"
		  . "COMMIT;\n"
		  . "SELECT 'N|' || coalesce(hive_tokens.current_token_id()::text, 'none') || '|' || (SELECT count(*) FROM projects) || '|' || pg_backend_pid();\n";
	}
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-h', '127.0.0.1', '-p', $bport, '-U', 'app', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1' ],
		'<', \$script, '>', \$out, '2>', \$err);
	push @runs, [ $h, \$out, \$err ];
}
my (%pids, $r_ok, $n_ok, $bad);
$r_ok = $n_ok = $bad = 0;
for my $i (0 .. $clients - 1)
{
	my ($h, $out, $err) = @{ $runs[$i] };
	$h->finish;
	is($$err, '', "client $i ran without errors");
	for my $line (split /\n/, $$out)
	{
		my ($kind, $who, $what, $pid) = split /\|/, $line;
		$pids{$pid} = 1;
		if ($kind eq 'R' && $who eq $ids[$i] && $what eq $expect[$i]) { $r_ok++ }
		elsif ($kind eq 'N' && $who eq 'none' && $what eq '0') { $n_ok++ }
		else { $bad++; diag("client $i saw: $line") }
	}
}
is($r_ok, $clients * $rounds, 'every authenticated transaction saw its own principal and only its rows');
is($n_ok, $clients * $rounds, 'every transaction without authenticate() saw no principal and no rows');
is($bad, 0, 'nobody ever saw another client\'s principal or rows');
cmp_ok(scalar(keys %pids), '<=', 2, 'the clients shared at most two server connections');
cmp_ok(scalar(keys %pids), '>=', 1, 'and used at least one');

HtPgBouncer::stop($bouncer);
$node->stop;
done_testing();
