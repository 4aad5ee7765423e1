# pg_dump / pg_restore of a database using hive_tokens into a fresh cluster: every table the
# extension owns (permissions with registered and retired ones, access_tokens, revoked_tokens)
# and a protected, partitioned table of the application come back, in every dump format, in
# parallel and section by section; with the key file every token verifies with the same grants,
# revoked ones stay revoked and row-level security still holds; without it verification fails
# closed; a catalog that disagrees is an error, never a silently different grant.
use strict;
use warnings;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $conf = "log_statement = none\nlog_min_error_statement = panic\n";
my $src = PostgreSQL::Test::Cluster->new('source');
$src->init;
$src->append_conf('postgresql.conf', $conf);
$src->start;

my $org = '00000000-0000-4000-8000-0000000000a1';
my $p1 = '00000000-0000-4000-8000-0000000000b1';
my $p2 = '00000000-0000-4000-8000-0000000000b2';
$src->safe_psql('postgres', q{
	CREATE EXTENSION hive_tokens;
	SELECT hive_tokens.register_permission('invoice:read', 'organization', 'Billing', 'Read invoices');
	SELECT hive_tokens.register_permission('invoice:pay', 'project', 'Billing', 'Pay invoices', '{invoice:read}');
	SELECT hive_tokens.retire_permission('billing:update');
	CREATE ROLE app;
	CREATE SCHEMA app;
	GRANT USAGE ON SCHEMA app TO app;
	CREATE TABLE app.invoices (organization_id uuid NOT NULL, project_id uuid NOT NULL, amount int NOT NULL)
	    PARTITION BY LIST (project_id);
	CREATE TABLE app.invoices_b1 PARTITION OF app.invoices FOR VALUES IN ('00000000-0000-4000-8000-0000000000b1');
	CREATE TABLE app.invoices_rest PARTITION OF app.invoices DEFAULT;
	INSERT INTO app.invoices VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', 10),
	                                ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', 20);
	SELECT hive_tokens.protect('app.invoices', 'invoice:pay', 'invoice:pay', project_column => 'project_id');
	GRANT SELECT ON ALL TABLES IN SCHEMA app TO app;
	GRANT SELECT ON hive_tokens.tokens TO app;
});
my %tokens;
$tokens{registered} = $src->safe_psql('postgres',
	"SELECT token FROM hive_tokens.issue('$org', 'pays b1', '{invoice:read,invoice:pay}', "
	  . "'{\"mode\": \"granular\", \"projects\": [{\"type\": \"project\", \"id\": \"$p1\", \"targets\": {\"mode\": \"*\"}}]}')");
$tokens{organization} = $src->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'org', '{usage:report,project:describe}')");
$tokens{project} = $src->safe_psql('postgres',
	"SELECT token FROM hive_tokens.issue('$org', 'proj', '{project:describe}', kind => 'project', project => '$p2')");
$tokens{expiring} = $src->safe_psql('postgres',
	"SELECT token FROM hive_tokens.issue('$org', 'expiring', '{usage:report}', expires_at => now() + interval '1 year')");
my $revoked = $src->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'revoked', '{usage:report}')");
$src->safe_psql('postgres', "SELECT hive_tokens.revoke(id) FROM hive_tokens.verify('$revoked')");
# tokens imported from Hive, still holding Hive's bcrypt (no preload here: nothing upgrades them)
my %legacy;
$src->safe_psql('postgres', qq{
	CREATE EXTENSION pgcrypto;
	CREATE TABLE app.hive_oat (id uuid PRIMARY KEY, organization_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
	    title text NOT NULL, description text, permissions text[], assigned_resources jsonb, hash text,
	    first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);
	CREATE TEMP TABLE holders AS
	    SELECT gen_random_uuid() AS id, encode(digest(gen_random_bytes(20), 'sha256'), 'hex') AS secret FROM generate_series(1, 2);
	INSERT INTO app.hive_oat (id, organization_id, title, permissions, hash)
	    SELECT id, '$org', 'from hive', '{project:describe}', crypt(secret, gen_salt('bf', 4)) FROM holders;
	SELECT imported FROM hive_tokens.import_hive_tokens('app.hive_oat');
	CREATE TABLE app.legacy_holders AS
	    SELECT 'hvo1/' || translate(encode(convert_to(id::text || ':' || secret, 'UTF8'), 'base64'), E'\n', '') AS token FROM holders;
});
my @legacy = split /\n/, $src->safe_psql('postgres', 'SELECT token FROM app.legacy_holders ORDER BY token');
is($src->safe_psql('postgres', "SELECT hive_tokens.verify_reason('$legacy[0]')"), 'legacy', 'an imported Hive token verifies');
$src->safe_psql('postgres', "SELECT hive_tokens.revoke(id) FROM hive_tokens.verify('$legacy[1]')");
# the lifecycle: a rotated token, an organization's expiry policy, the member function, the audit log
my $rotated_old = $src->safe_psql('postgres', "SELECT token FROM hive_tokens.issue('$org', 'rotated', '{usage:report}')");
$tokens{rotated} = $src->safe_psql('postgres',
	"SELECT r.token FROM hive_tokens.verify('$rotated_old') AS v, hive_tokens.rotate(v.id, '1 hour') AS r");
$src->safe_psql('postgres', qq{
	SELECT hive_tokens.set_expiry_policy('$org', '2 years', allow_never => true);
	CREATE FUNCTION app.member_grant(organization uuid, user_id uuid, OUT scopes hive_tokens.scopes, OUT resources jsonb)
	    RETURNS SETOF record LANGUAGE sql STABLE AS 'SELECT NULL::hive_tokens.scopes, NULL::jsonb WHERE false';
	SELECT hive_tokens.set_member_function('app.member_grant(uuid, uuid)');
});
my $lifecycle = 'SELECT (SELECT json_agg(t ORDER BY id) FROM (SELECT id, rotated_to, expires_at FROM hive_tokens.tokens) AS t), '
  . '(SELECT json_agg(p) FROM hive_tokens.expiry_policies AS p), (SELECT fn FROM hive_tokens.member_function), '
  . '(SELECT json_agg(a ORDER BY id) FROM hive_tokens.audit_log AS a)';

my $records = 'SELECT id, organization_id, kind, project_id, title, scopes, resources, first_characters, created_at, expires_at '
  . 'FROM hive_tokens.tokens ORDER BY id';
my $catalog = 'SELECT bit_number, name, level, assignable, retired, depends_on, builtin FROM hive_tokens.permissions ORDER BY bit_number';
my $tombstones = 'SELECT id, organization_id, revoked_at FROM hive_tokens.revoked_tokens ORDER BY id';
my $policies = "SELECT c.relname, count(p.oid), c.relforcerowsecurity FROM pg_class AS c LEFT JOIN pg_policy AS p ON p.polrelid = c.oid "
  . "WHERE c.relnamespace = 'app'::regnamespace GROUP BY 1, 3 ORDER BY 1";
my $rls = "BEGIN; SET LOCAL ROLE app; SELECT hive_tokens.authenticate('$tokens{registered}') IS NOT NULL; "
  . "SELECT (SELECT sum(amount) FROM app.invoices), (SELECT count(*) FROM app.invoices_rest); COMMIT;";
my %want = map { $_ => $src->safe_psql('postgres', $_) } ($records, $catalog, $tombstones, $policies, $rls, $lifecycle);
is($want{$rls}, "t\n10|0", 'the source enforces row-level security on the partitioned table');

# Dumps in every format.
my $dir = $src->basedir;
$src->command_ok([ 'pg_dump', '-Fc', '-f', "$dir/db.custom", '-d', $src->connstr('postgres') ], 'pg_dump -Fc');
$src->command_ok([ 'pg_dump', '-Fp', '-f', "$dir/db.sql", '-d', $src->connstr('postgres') ], 'pg_dump -Fp');
$src->command_ok([ 'pg_dump', '-Fd', '-j', '2', '-f', "$dir/db.dir", '-d', $src->connstr('postgres') ], 'pg_dump -Fd -j 2');

# A restore order that loads the token table first: pg_restore -j loads data in parallel,
# largest first, so nothing may depend on the catalog being there before the tokens.
my @toc = split /\n/, `pg_restore -l "$dir/db.custom"`;
my @data_at = grep { $toc[$_] =~ /TABLE DATA/ } 0 .. $#toc;
my @data = sort { ($b =~ /access_tokens/) <=> ($a =~ /access_tokens/) || ($a =~ /permissions/) <=> ($b =~ /permissions/) }
  map { $toc[$_] } @data_at;
@toc[@data_at] = @data;
my ($tokens_at) = grep { $toc[$_] =~ /TABLE DATA hive_tokens access_tokens/ } 0 .. $#toc;
my ($catalog_at) = grep { $toc[$_] =~ /TABLE DATA hive_tokens permissions/ } 0 .. $#toc;
ok(defined $tokens_at && defined $catalog_at && $tokens_at < $catalog_at, 'the reordered list loads access_tokens before permissions');
open(my $fh, '>', "$dir/reordered.list") or die;
print $fh join("\n", @toc), "\n";
close $fh;

# A fresh cluster with the source's key file.
my $dst = PostgreSQL::Test::Cluster->new('target');
$dst->init;
$dst->append_conf('postgresql.conf', $conf);
$dst->start;
copy($src->data_dir . '/hive_tokens.key', $dst->data_dir . '/hive_tokens.key') or die "copy: $!";
chmod 0600, $dst->data_dir . '/hive_tokens.key';
$dst->safe_psql('postgres', 'CREATE ROLE app');

my @restores = (
	[ 'custom', [ 'pg_restore', '--exit-on-error', '-d', 'DB', "$dir/db.custom" ] ],
	[ 'plain', [ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'DB', '-f', "$dir/db.sql" ] ],
	[ 'directory_parallel', [ 'pg_restore', '--exit-on-error', '-j', '2', '-d', 'DB', "$dir/db.dir" ] ],
	[ 'reordered', [ 'pg_restore', '--exit-on-error', '-L', "$dir/reordered.list", '-d', 'DB', "$dir/db.custom" ] ],
	[ 'data_only', [ 'sh', '-c', "pg_restore --exit-on-error --section=pre-data -d \"\$0\" $dir/db.custom && "
	  . "pg_restore --exit-on-error -j 2 --section=data -d \"\$0\" $dir/db.custom && "
	  . "pg_restore --exit-on-error --section=post-data -d \"\$0\" $dir/db.custom", 'DB' ] ],
);
for my $r (@restores)
{
	my ($name, $cmd) = @$r;
	$dst->safe_psql('postgres', "CREATE DATABASE $name");
	my @c = map { $_ eq 'DB' ? $dst->connstr($name) : $_ } @$cmd;
	$dst->command_ok(\@c, "restore ($name) runs without error");
	is($dst->safe_psql($name, $catalog), $want{$catalog}, "$name: the permission catalog, registered and retired ones included");
	is($dst->safe_psql($name, $records), $want{$records}, "$name: every token with the same grants");
	is($dst->safe_psql($name, $tombstones), $want{$tombstones}, "$name: the revoked tombstones");
	for my $k (sort keys %tokens)
	{
		is($dst->safe_psql($name, "SELECT hive_tokens.verify_reason('$tokens{$k}')"), 'ok', "$name: the $k token verifies");
	}
	is($dst->safe_psql($name, "SELECT hive_tokens.verify_reason('$revoked')"), 'revoked', "$name: the revoked token stays revoked");
	is($dst->safe_psql($name, "SELECT hive_tokens.verify_reason('$legacy[0]')"), 'legacy',
		"$name: a token imported from Hive verifies (Hive's bcrypt restored)");
	is($dst->safe_psql($name, "SELECT hive_tokens.verify_reason('$legacy[1]')"), 'revoked',
		"$name: one revoked before its first use stays revoked");
	is($dst->safe_psql($name, $policies), $want{$policies}, "$name: the protected table and its partitions keep their policies");
	is($dst->safe_psql($name, $rls), $want{$rls}, "$name: row-level security holds as before");
	is($dst->safe_psql($name, $lifecycle), $want{$lifecycle},
		"$name: rotations, the expiry policy, the member function and every audit event");
	is($dst->safe_psql($name, "SELECT count(*) FROM hive_tokens.issue('$org', 'after restore', '{usage:report}'); "
		  . "SELECT max(id) = (SELECT max(id) FROM hive_tokens.audit_log WHERE event = 'issued') FROM hive_tokens.audit_log"),
		"1\nt", "$name: new audit events continue after the restored ones");
}

# A data-only restore into a database whose registered permissions differ never maps a token's
# permission to another one: it fails, and no token is loaded.
$dst->safe_psql('postgres', 'CREATE DATABASE conflicting');
$dst->safe_psql('conflicting', q{
	CREATE EXTENSION hive_tokens;
	SELECT hive_tokens.register_permission('admin:all', 'organization', 'Danger', 'Everything');
	CREATE SCHEMA app;
	CREATE TABLE app.invoices (organization_id uuid NOT NULL, project_id uuid NOT NULL, amount int NOT NULL);
});
$dst->command_fails([ 'pg_restore', '--data-only', '-t', 'permissions', '-t', 'access_tokens',
	'-d', $dst->connstr('conflicting'), "$dir/db.custom" ], 'a data-only restore into a conflicting catalog fails');
is($dst->safe_psql('conflicting', 'SELECT count(*) FROM hive_tokens.access_tokens'), '0', 'and loads no token');
is($dst->safe_psql('conflicting', "SELECT bit_number FROM hive_tokens.permissions WHERE name = 'admin:all'"),
	$src->safe_psql('postgres', "SELECT bit_number FROM hive_tokens.permissions WHERE name = 'invoice:read'"),
	'(the conflicting permission holds the bit the source gave invoice:read)');

# A data-only restore into a database whose migrations registered the same permissions (same bits,
# same names) merges them, carrying the dump's retirements, and loads every token.
$dst->safe_psql('postgres', 'CREATE DATABASE same_catalog');
$dst->safe_psql('same_catalog', q{
	CREATE EXTENSION hive_tokens;
	SELECT hive_tokens.register_permission('invoice:read', 'organization', 'Billing', 'Read invoices');
	SELECT hive_tokens.register_permission('invoice:pay', 'project', 'Billing', 'Pay invoices', '{invoice:read}');
});
$dst->command_ok([ 'pg_restore', '--exit-on-error', '--data-only', '-t', 'permissions', '-t', 'access_tokens', '-t', 'revoked_tokens',
	'-d', $dst->connstr('same_catalog'), "$dir/db.custom" ], 'a data-only restore into the same registered catalog');
is($dst->safe_psql('same_catalog', $catalog), $want{$catalog}, 'same_catalog: the catalog, retirements included');
is($dst->safe_psql('same_catalog', $records), $want{$records}, 'same_catalog: every token with the same grants');

# Without the key: verification fails closed, naming the key file.
my $nokey = PostgreSQL::Test::Cluster->new('nokey');
$nokey->init;
$nokey->append_conf('postgresql.conf', $conf);
$nokey->start;
$nokey->safe_psql('postgres', 'CREATE ROLE app');
$nokey->command_ok([ 'pg_restore', '--exit-on-error', '-d', $nokey->connstr('postgres'), "$dir/db.custom" ], 'restore without the key file');
my ($ret, $out, $err) = $nokey->psql('postgres', "SELECT hive_tokens.verify_reason('$tokens{organization}')");
isnt($ret, 0, 'without the key, verification fails');
like($err, qr/missing key file "hive_tokens.key": this database holds tokens hashed under the lost key/, 'naming the key file');
ok(!-e $nokey->data_dir . '/hive_tokens.key', 'and no new key was made over the lost one');

$_->stop for ($src, $dst, $nokey);
done_testing();
