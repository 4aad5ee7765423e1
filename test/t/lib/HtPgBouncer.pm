# pgbouncer in transaction pooling mode in front of a PostgreSQL::Test::Cluster node, for the TAP
# tests that run clients through it (t/002_pgbouncer.pl, t/013_node_example.pl).
package HtPgBouncer;
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;

our $BINARY = '/usr/sbin/pgbouncer';

# start($node, user => ROLE, max_client_conn => N, reset_always => 1): pgbouncer on 127.0.0.1 and
# a free port, the database "postgres" reached as ROLE (auth_type any: every client becomes ROLE),
# two server connections for everyone; reset_always: DISCARD ALL after every transaction, as
# docs/writing-rls-policies.md asks of a pooler in transaction mode. Returns (handle, port) once it accepts connections; stop(handle).
sub start
{
	my ($node, %opt) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $dir = $node->basedir . '/pgbouncer';
	mkdir $dir or die "mkdir $dir: $!";
	my ($host, $pgport, $user, $max) = ($node->host, $node->port, $opt{user}, $opt{max_client_conn} // 100);
	my $reset = $opt{reset_always} ? "server_reset_query = DISCARD ALL\nserver_reset_query_always = 1\n" : '';
	open(my $fh, '>', "$dir/pgbouncer.ini") or die "$dir/pgbouncer.ini: $!";
	print $fh <<"EOC";
[databases]
postgres = host=$host port=$pgport dbname=postgres user=$user
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
max_client_conn = $max
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
$reset
EOC
	close $fh;
	my $handle = IPC::Run::start([ $BINARY, "$dir/pgbouncer.ini" ], '>', "$dir/stdout", '2>', "$dir/stderr");
	for (1 .. 50)
	{
		last if system('pg_isready', '-q', '-h', '127.0.0.1', '-p', $port, '-d', 'postgres') == 0;
		sleep 0.2;
	}
	return ($handle, $port);
}

sub stop
{
	my ($handle) = @_;
	$handle->signal('TERM');
	$handle->finish;
}

1;
