# Binary input (COPY BINARY, binary bind parameters) of hrn, scopes and access_token: oversize
# values are refused before they are converted, and raw bytes from the client (line breaks,
# invalid UTF-8) never reach an error message.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('binary');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = none\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION hive_tokens;
	CREATE TABLE h (v hive_tokens.hrn);
	CREATE TABLE s (v hive_tokens.scopes);
	CREATE TABLE t (v hive_tokens.access_token);
});

# A COPY BINARY file with one row of one field holding $bytes.
sub copy_file
{
	my ($name, $bytes) = @_;
	my $path = $node->basedir . "/$name.bin";
	open(my $fh, '>:raw', $path) or die "open: $!";
	print $fh "PGCOPY\n\377\r\n\0", pack('NN', 0, 0), pack('n', 1), pack('N', length $bytes), $bytes, pack('n', 0xffff);
	close $fh;
	return $path;
}

# binary scopes: int32 count, then (int32 length, bytes) per name
sub scopes_bytes
{
	my @names = @_;
	return pack('N', scalar @names) . join('', map { pack('N', length $_) . $_ } @names);
}

sub copy_in
{
	my ($table, $path) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n\\copy $table FROM '$path' (FORMAT binary)");
	return ($ret, $err);
}

# Valid values load.
my ($ret, $err) = copy_in('h', copy_file('hrn_ok', 'hrn:*:project/*'));
is($ret, 0, 'a valid binary hrn loads') or diag($err);
($ret, $err) = copy_in('s', copy_file('scopes_ok', scopes_bytes('usage:report', 'schemaVersion:publish')));
is($ret, 0, 'valid binary scopes load') or diag($err);
is($node->safe_psql('postgres', 'SELECT v FROM s'), '{usage:report,schemaVersion:publish}', 'binary scopes read back');

# Oversize values are refused up front.
($ret, $err) = copy_in('h', copy_file('hrn_big', 'hrn:*:target/' . ('/' x (8 * 1024 * 1024))));
isnt($ret, 0, 'an 8 MB binary hrn is refused');
like($err, qr/ERROR:  22P03: invalid resource name: longer than 512 bytes/, 'with 22P03 and the limit');
($ret, $err) = copy_in('t', copy_file('token_big', 'hvo2_' . ('A' x (8 * 1024 * 1024))));
isnt($ret, 0, 'an 8 MB binary access_token is refused');
like($err, qr/ERROR:  22P03: invalid access token: longer than 256 bytes/, 'with 22P03 and the limit');
($ret, $err) = copy_in('s', copy_file('scopes_count', pack('N', 100000)));
like($err, qr/ERROR:  22P03: invalid scopes count 100000/, 'a binary scopes count over 256 is refused');
($ret, $err) = copy_in('s', copy_file('scopes_name_len', pack('N', 1) . pack('N', 5000) . ('a' x 5000)));
like($err, qr/ERROR:  22P03: invalid permission name length 5000/, 'a binary permission name over 200 bytes is refused');

# Raw bytes never reach a message: a name with a line break and invalid UTF-8 is not echoed; a
# well-formed unknown name is.
($ret, $err) = copy_in('s', copy_file('scopes_raw', scopes_bytes("usage:report", "bad\nname:\xff\xfe")));
isnt($ret, 0, 'a binary name with raw bytes is refused');
like($err, qr/ERROR:  22P03: invalid permission name in binary scopes \(element 2, 11 bytes\)/, 'without echoing it');
unlike($err, qr/\xff|\xfe|bad\s*\n\s*name/, 'no raw byte or line break of the input in the message');
($ret, $err) = copy_in('s', copy_file('scopes_unknown', scopes_bytes('invoice:read')));
like($err, qr/ERROR:  22P02: unknown permission "invoice:read" in binary scopes/, 'a well-formed unknown name is named');

$node->stop;
done_testing();
