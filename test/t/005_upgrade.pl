# ALTER EXTENSION hive_tokens UPDATE from every released version gives exactly the catalog of a
# fresh install (compared through pg_dump --binary-upgrade, which dumps every member object with
# its definition, comment and grants), and keeps what the database held: tokens verify with the
# same grants, revoked ones stay revoked, registered permissions and grants survive.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = none\nlog_min_error_statement = panic\n");
$node->start;

my $current = $node->safe_psql('postgres', "SELECT default_version FROM pg_available_extensions WHERE name = 'hive_tokens'");
my @released = ('0.1');
is($node->safe_psql('postgres',
	"SELECT string_agg(source || '>' || target, ',' ORDER BY source) FROM pg_extension_update_paths('hive_tokens') "
	  . "WHERE target = '$current' AND path IS NOT NULL"),
	join(',', map { "$_>$current" } @released), "every released version updates to $current");

# The schema of a database, without what differs between any two databases (OIDs, xids).
sub schema_of
{
	my ($db) = @_;
	my $dump = $node->basedir . "/$db.schema.sql";
	$node->command_ok([ 'pg_dump', '--schema-only', '--binary-upgrade', '-f', $dump, '-d', $node->connstr($db) ],
		"pg_dump --binary-upgrade of $db");
	my @lines = grep {
		!/^SELECT pg_catalog\.binary_upgrade_set_next_/
		  && !/^\\(un)?restrict /
		  && !/^SET relfrozenxid = /
		  && !/^WHERE oid = '\d+';$/
	} split /\n/, slurp_file($dump);
	s/(binary_upgrade_create_empty_extension\('[^']*', '[^']*', \w+, '[^']*', )'\{[\d,]*\}'/$1'{oids}'/ for @lines;
	return join("\n", @lines);
}

sub first_difference
{
	my @a = split /\n/, $_[0];
	my @b = split /\n/, $_[1];
	for my $i (0 .. ($#a > $#b ? $#a : $#b))
	{
		my ($x, $y) = ($a[$i] // '<end>', $b[$i] // '<end>');
		return "line $i: fresh: $x\nline $i: updated: $y" if $x ne $y;
	}
	return 'no difference';
}

sub permissions_of
{
	my ($db) = @_;
	return $node->safe_psql($db,
		'SELECT bit_number, name, level, "group", label, assignable, retired, depends_on, builtin '
		  . 'FROM hive_tokens.permissions ORDER BY bit_number');
}

my %old_catalog = (
	'0.1' => q{
		ALTER TABLE hive_tokens.permissions DISABLE TRIGGER permissions_guard;
		UPDATE hive_tokens.permissions SET depends_on = '{}' WHERE name IN ('project:delete', 'project:modifySettings');
		UPDATE hive_tokens.permissions SET level = 'appDeployment' WHERE name = 'appDeployment:describe';
		ALTER TABLE hive_tokens.permissions ENABLE TRIGGER permissions_guard;
	});
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION hive_tokens');
for my $from (@released)
{
	my $db = 'from_' . ($from =~ s/\./_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION hive_tokens VERSION '$from'");
	# The built-in rows as that release's library wrote them (this library seeds today's
	# definitions even into an old version's install).
	$node->safe_psql($db, $old_catalog{$from}) if $old_catalog{$from};
	$node->safe_psql($db, 'ALTER EXTENSION hive_tokens UPDATE');
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'hive_tokens'"), $current,
		"$from updated to $current");
	my ($fresh, $updated) = (schema_of('fresh'), schema_of($db));
	ok($fresh eq $updated, "updating from $from gives the catalog of a fresh install of $current")
	  or diag(first_difference($fresh, $updated));
	is(permissions_of($db), permissions_of('fresh'), "the permission catalog after updating from $from");
}

# Default privileges of the installing role never reach the extension's objects: a role granted
# everything by ALTER DEFAULT PRIVILEGES can read no token table and run no internal function.
$node->safe_psql('postgres', 'CREATE ROLE reporting');
for my $how ('fresh install', 'update')
{
	my $db = $how eq 'update' ? 'defaults_updated' : 'defaults_fresh';
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	# (for the update: 0.1 is installed first, so only the update meets the default privileges)
	$node->safe_psql($db, "CREATE EXTENSION hive_tokens VERSION '0.1'") if $how eq 'update';
	$node->safe_psql($db, q{
		ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO reporting;
		ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO reporting;
		ALTER DEFAULT PRIVILEGES GRANT ALL ON TYPES TO reporting;
		ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO reporting;
		ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC;
		ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO PUBLIC;
	});
	if ($how eq 'update')
	{
		$node->safe_psql($db, 'ALTER EXTENSION hive_tokens UPDATE');
		is($node->safe_psql($db, "SELECT has_function_privilege('reporting', 'hive_tokens_internal.held_bits()', 'EXECUTE')"),
			'f', "$how: no default privilege on an object the update creates");
		is($node->safe_psql($db, "SELECT has_schema_privilege('reporting', 'hive_tokens_internal', 'CREATE') "
			  . "OR has_schema_privilege('public', 'hive_tokens_internal', 'CREATE')"),
			'f', "$how: nor on the schema it creates, for a role or PUBLIC");
		is($node->safe_psql($db, "SELECT array_agg(DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END) "
			  . "FROM pg_proc AS p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS x "
			  . "WHERE p.oid = 'hive_tokens.verify(text)'::regprocedure AND x.grantee <> p.proowner"),
			'{PUBLIC}', "$how: verify() keeps exactly the privileges it had (PUBLIC), none from the updating role's defaults");
		next;
	}
	$node->safe_psql($db, 'CREATE EXTENSION hive_tokens');
	is($node->safe_psql($db, q{
		SELECT has_table_privilege('reporting', 'hive_tokens.access_tokens', 'SELECT')
		    OR has_table_privilege('reporting', 'hive_tokens.revoked_tokens', 'SELECT')
		    OR has_table_privilege('reporting', 'hive_tokens.tokens', 'SELECT')
		    OR has_function_privilege('reporting', 'hive_tokens_internal.mint(text)', 'EXECUTE')
		    OR has_function_privilege('reporting', 'hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid)', 'EXECUTE')
		    OR has_function_privilege('reporting', 'hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb)', 'EXECUTE')
		    OR has_schema_privilege('reporting', 'hive_tokens', 'CREATE')
		    OR has_schema_privilege('reporting', 'hive_tokens_internal', 'CREATE')
		    OR has_schema_privilege('public', 'hive_tokens', 'CREATE')
		    OR has_schema_privilege('public', 'hive_tokens_internal', 'CREATE')
		    OR has_table_privilege('public', 'hive_tokens.access_tokens', 'SELECT')
		    OR has_table_privilege('public', 'hive_tokens.permissions', 'INSERT, TRIGGER')}),
		'f', "$how: default privileges of the installing role (for a role or PUBLIC) reach no table, function or schema");
}

# Data through the update: tokens of every kind, a registered permission, a revoked token, grants.
$node->safe_psql('postgres', 'CREATE ROLE app');
$node->safe_psql('postgres', 'CREATE DATABASE data');
$node->safe_psql('data', "CREATE EXTENSION hive_tokens VERSION '0.1'");
my $org = '77777777-7777-4777-8777-777777777777';
my $proj = '88888888-8888-4888-8888-888888888888';
$node->safe_psql('data', "SELECT hive_tokens.register_permission('invoice:read', 'organization', 'Billing', 'Read invoices')");
$node->safe_psql('data', "SELECT hive_tokens.retire_permission('billing:update')");
my @tokens;
for my $args ("'org token', '{invoice:read,usage:report}'",
	"'granular', '{project:describe,schemaVersion:publish}', '{\"mode\": \"granular\", \"projects\": [{\"type\": \"project\", \"id\": \"$proj\", \"targets\": {\"mode\": \"*\"}}]}'",
	"'project token', '{project:describe}', kind => 'project', project => '$proj'",
	"'to revoke', '{usage:report}'")
{
	push @tokens, $node->safe_psql('data', "SELECT token FROM hive_tokens.issue('$org', $args)");
}
my $revoked = pop @tokens;
# Rows 0.1 accepted that issue() now would not: a title and description with spaces at either
# end, a description of 200 emoji (400 UTF-16 units), an organization token holding a project_id.
my $quirky = $node->safe_psql('data',
	"SELECT token FROM hive_tokens.issue('$org', ' padded title ', '{usage:report}', description => ' ' || repeat(U&'\\+01F600', 200) || ' ')");
$node->safe_psql('data', "UPDATE hive_tokens.access_tokens SET project_id = '$proj' WHERE title = ' padded title '");
$node->safe_psql('data', "SELECT hive_tokens.revoke((hive_tokens.verify('$revoked')).id)");
$node->safe_psql('data', q{
	GRANT SELECT ON hive_tokens.tokens TO app;
	REVOKE EXECUTE ON FUNCTION hive_tokens.verify(text) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION hive_tokens.verify(text) TO app;
});
# Until ALTER EXTENSION UPDATE runs, the new library serves the old SQL declarations.
is($node->safe_psql('data', "SELECT (hive_tokens.verify('$tokens[0]')).title, hive_tokens.verify('$revoked') IS NULL"),
	'org token|t', 'before the update: verify() as 0.1 declared it (a record or NULL)');
is($node->safe_psql('data', "BEGIN; SELECT hive_tokens.authenticate('$tokens[1]') IS NOT NULL; SELECT hive_tokens.current_scopes(); COMMIT;"),
	"t\n{project:describe,schemaVersion:publish}", 'before the update: authenticate() reads the 0.1 table');
# A personal token: 0.1 let it act on its own grant; 0.2 intersects it with its member's current
# grant (the registered member function) and fails closed until one is registered.
my $user = '99999999-9999-4999-8999-999999999999';
my $personal = $node->safe_psql('data',
	"SELECT token FROM hive_tokens.issue('$org', 'laptop', '{usage:report,project:describe}', kind => 'personal', user_id => '$user')");
is($node->safe_psql('data', "BEGIN; SELECT hive_tokens.authenticate('$personal') IS NOT NULL; SELECT hive_tokens.current_scopes(); COMMIT;"),
	"t\n{project:describe,usage:report}", 'before the update: a personal token acts on its own grant');
my $records = 'SELECT id, organization_id, kind, CASE WHEN kind = \'project\' THEN project_id END, title, scopes, CASE WHEN kind <> \'project\' THEN resources END, '
  . 'first_characters FROM hive_tokens.tokens ORDER BY id';
my $before = $node->safe_psql('data', $records);
is($node->safe_psql('data', "SELECT resources FROM hive_tokens.tokens WHERE kind = 'project'"), '{"mode": "*"}',
	'0.1 stored a project token\'s resources as "*"');
is($node->safe_psql('data', "BEGIN; SELECT hive_tokens.authenticate('$tokens[2]') IS NOT NULL; "
	  . "SELECT hive_tokens.can('project:describe', '$org', '$proj'); COMMIT;"),
	"t\nt", 'before the update: a 0.1 project token describes its project (0.1\'s "*" meant it)');
$node->safe_psql('data', 'ALTER EXTENSION hive_tokens UPDATE');
my ($ret, $out, $err) = $node->psql('data', "BEGIN; SELECT hive_tokens.authenticate('$personal');");
like($err, qr/no member function is registered.*\n.*set_member_function/s,
	'after the update: a personal token fails closed until a member function is registered, and the hint says how');
$node->safe_psql('data', q{
	CREATE FUNCTION public.members(organization uuid, user_id uuid, OUT scopes hive_tokens.scopes, OUT resources jsonb)
	    LANGUAGE sql AS $$SELECT '{project:describe}'::hive_tokens.scopes, NULL::jsonb$$;
	SELECT hive_tokens.set_member_function('public.members(uuid, uuid)');
});
is($node->safe_psql('data', "BEGIN; SELECT hive_tokens.authenticate('$personal') IS NOT NULL; SELECT hive_tokens.current_scopes(); COMMIT;"),
	"t\n{project:describe}", 'with a member function: the personal token holds what its member still may');
is($node->safe_psql('data', $records), $before, 'every token keeps its record and grants');
# 0.2 reads a stored "*" on a project token as Hive does (nothing below the organization): the
# update writes 0.1's meaning (its whole project) out, so the token keeps its access.
is($node->safe_psql('data', "SELECT resources FROM hive_tokens.tokens WHERE kind = 'project'"),
	qq({"mode": "granular", "projects": [{"id": "$proj", "type": "project", "targets": {"mode": "*"}}]}),
	'a project token\'s resources are written out as its project');
is($node->safe_psql('data', "BEGIN; SELECT hive_tokens.authenticate('$tokens[2]') IS NOT NULL; "
	  . "SELECT hive_tokens.can('project:describe', '$org', '$proj'); COMMIT;"),
	"t\nt", 'a project token issued under 0.1 still describes its project');
for my $t (@tokens, $quirky)
{
	is($node->safe_psql('data', "SELECT count(*) FROM hive_tokens.verify('$t')"), '1', 'a token issued under 0.1 verifies');
}
is($node->safe_psql('data', "SELECT title, project_id IS NULL FROM hive_tokens.tokens WHERE id = (SELECT id FROM hive_tokens.verify('$quirky'))"),
	' padded title |t', 'a 0.1 row with spaces and an id of another kind updates (the id goes, the text stays)');
is($node->safe_psql('data', "SELECT hive_tokens.verify_reason('$revoked')"), 'revoked', 'a revoked token stays revoked');
is($node->safe_psql('data', "SELECT scopes FROM hive_tokens.verify('$tokens[0]')"), '{usage:report,invoice:read}',
	'a registered permission survives');
is($node->safe_psql('data', "SELECT retired FROM hive_tokens.permissions WHERE name = 'billing:update'"), 't',
	'a retirement survives');
is($node->safe_psql('data',
	"SELECT has_table_privilege('app', 'hive_tokens.tokens', 'SELECT')::text || has_function_privilege('app', 'hive_tokens.verify(text)', 'EXECUTE')::text "
	  . "|| has_function_privilege('public', 'hive_tokens.verify(text)', 'EXECUTE')::text"),
	'truetruefalse', 'grants on the recreated view and function are kept, revokes too');
# The initial privileges PostgreSQL records for the extension's objects are those of a fresh
# install, so pg_dump still writes the database's own grants.
my $init_privs = 'SELECT pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs '
  . 'FROM pg_init_privs AS ip JOIN pg_depend AS d ON d.classid = ip.classoid AND d.objid = ip.objoid AND d.deptype = \'e\' '
  . 'JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = \'hive_tokens\' ORDER BY 1, 2';
is($node->safe_psql('data', $init_privs), $node->safe_psql('fresh', $init_privs), 'initial privileges as in a fresh install');
my $dump = $node->basedir . '/data.sql';
$node->command_ok([ 'pg_dump', '-f', $dump, '-d', $node->connstr('data') ], 'pg_dump after the update');
my $sql = slurp_file($dump);
like($sql, qr/GRANT SELECT ON TABLE hive_tokens\.tokens TO app;/, 'the dump grants the view to app');
like($sql, qr/REVOKE ALL ON FUNCTION hive_tokens\.verify\(token text\) FROM PUBLIC;/, 'the dump revokes verify() from PUBLIC');
like($sql, qr/GRANT ALL ON FUNCTION hive_tokens\.verify\(token text\) TO app;/, 'the dump grants verify() to app');
($ret, $out, $err) = $node->psql('data', "BEGIN; SELECT hive_tokens.authenticate('$tokens[1]') IS NOT NULL;");
is($ret, 0, 'authenticate() works after the update') or diag($err);
is($node->safe_psql('data', "SELECT hive_tokens.issue('$org', 'after update', '{usage:report}') IS NOT NULL"), 't',
	'issue() works after the update');

# A dump taken under 0.1 restores into the current version: every token verifies. (0.1 dumped a
# token's permissions as names, so one naming a registered permission needs the catalog loaded
# first: pg_restore -L with the permissions data moved ahead, as the README says.)
my $dump01 = $node->basedir . '/v01.dump';
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', "CREATE EXTENSION hive_tokens VERSION '0.1'");
$node->safe_psql('old', "SELECT hive_tokens.register_permission('invoice:read', 'organization', 'Billing', 'Read invoices')");
my $old_builtin = $node->safe_psql('old', "SELECT token FROM hive_tokens.issue('$org', 'old builtin', '{usage:report}')");
my $old_registered = $node->safe_psql('old', "SELECT token FROM hive_tokens.issue('$org', 'old registered', '{invoice:read,usage:report}')");
my $old_project = $node->safe_psql('old',
	"SELECT token FROM hive_tokens.issue('$org', 'old project', '{project:describe}', kind => 'project', project => '$proj')");
my $old_quirky = $node->safe_psql('old',
	"SELECT token FROM hive_tokens.issue('$org', ' padded ', '{usage:report}', description => repeat(U&'\\+01F600', 200), project => '$proj')");
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump01, '-d', $node->connstr('old') ], 'pg_dump of a 0.1 database');
my @toc = split /\n/, `pg_restore -l "$dump01"`;
my ($catalog) = grep { /TABLE DATA hive_tokens permissions/ } @toc;
my $list = $node->basedir . '/v01.list';
open(my $fh, '>', $list) or die;
print $fh join("\n", map { /TABLE DATA hive_tokens access_tokens/ ? ($catalog, $_) : /TABLE DATA hive_tokens permissions/ ? () : $_ } @toc), "\n";
close $fh;
$node->safe_psql('postgres', 'CREATE DATABASE old_restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-L', $list, '-d', $node->connstr('old_restored'), $dump01 ],
	'the 0.1 dump restores into the current version');
is($node->safe_psql('old_restored', "SELECT extversion FROM pg_extension WHERE extname = 'hive_tokens'"), $current,
	'(the restore creates the current version)');
is($node->safe_psql('old_restored', "SELECT scopes FROM hive_tokens.verify('$old_builtin')"), '{usage:report}',
	'a token of the 0.1 dump verifies with its grants');
is($node->safe_psql('old_restored', "SELECT scopes FROM hive_tokens.verify('$old_registered')"), '{usage:report,invoice:read}',
	'and one naming a registered permission');
is($node->safe_psql('old_restored', "SELECT title FROM hive_tokens.verify('$old_quirky')"), ' padded ',
	'a 0.1 row the new rules are stricter about restores too');
is($node->safe_psql('old_restored', "BEGIN; SELECT hive_tokens.authenticate('$old_project') IS NOT NULL; "
	  . "SELECT hive_tokens.can('project:describe', '$org', '$proj'); COMMIT;"),
	"t\nt", 'a project token of the 0.1 dump describes its project (its "*" restored as its project)');

# Schema hive_tokens must be the extension's own: one prepared by another role (which could hold
# look-alike functions, or be dropped with the extension in it) is refused, and so is one others
# may create objects in; an update refuses a schema holding objects of others.
$node->safe_psql('postgres', 'CREATE ROLE schemer');
for my $case ([ 'foreign_schema', 'CREATE SCHEMA hive_tokens AUTHORIZATION schemer', 'owned by another role' ],
	[ 'public_schema', 'CREATE SCHEMA hive_tokens; GRANT CREATE ON SCHEMA hive_tokens TO PUBLIC', 'others may create objects in' ],
	[ 'typed_schema', 'CREATE SCHEMA hive_tokens; CREATE COLLATION hive_tokens.c (locale = \'C\')', 'holding a collation' ],
	[ 'busy_schema', 'CREATE SCHEMA hive_tokens; CREATE FUNCTION hive_tokens.format(text, smallint[]) RETURNS text LANGUAGE sql AS $$SELECT 1::text$$',
	  'holding a look-alike function' ])
{
	my ($db, $setup, $what) = @$case;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, $setup);
	my ($r, $o, $e) = $node->psql($db, 'CREATE EXTENSION hive_tokens');
	like($e, qr/schema hive_tokens already exists and was not created for this extension/, "install refuses a schema $what");
}
# The checks themselves run nothing of such a schema (an operator matching their comparisons
# exactly would otherwise run as superuser even when they refuse it), and a schema another role
# owns is refused even when the transaction installing touched it first.
my $noisy_operator = q{
	CREATE FUNCTION hive_tokens.noisy(oid, regclass) RETURNS boolean LANGUAGE plpgsql
	    AS $$BEGIN RAISE NOTICE 'the look-alike operator ran'; RETURN $1 = $2::oid; END$$;
	CREATE OPERATOR hive_tokens.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = hive_tokens.noisy);
};
$node->safe_psql('postgres', 'CREATE DATABASE operator_schema');
$node->safe_psql('operator_schema', "CREATE SCHEMA hive_tokens AUTHORIZATION schemer; SET ROLE schemer; $noisy_operator");
($ret, $out, $err) = $node->psql('operator_schema', 'CREATE EXTENSION hive_tokens');
like($err, qr/was not created for this extension/, 'install refuses a schema holding an operator');
unlike($err, qr/look-alike operator ran/, 'and runs none of it');
$node->safe_psql('postgres', 'CREATE DATABASE touched_schema');
$node->safe_psql('touched_schema', 'CREATE SCHEMA hive_tokens AUTHORIZATION schemer');
($ret, $out, $err) = $node->psql('touched_schema',
	'BEGIN; CREATE SCHEMA IF NOT EXISTS hive_tokens; GRANT USAGE ON SCHEMA hive_tokens TO PUBLIC; CREATE EXTENSION hive_tokens; COMMIT;');
like($err, qr/was not created for this extension/, 'install refuses another role\'s schema that the same transaction touched');
$node->safe_psql('postgres', 'CREATE DATABASE operator_update');
$node->safe_psql('operator_update', "CREATE EXTENSION hive_tokens VERSION '0.1'; GRANT CREATE ON SCHEMA hive_tokens TO schemer");
$node->safe_psql('operator_update', "SET ROLE schemer; $noisy_operator");
($ret, $out, $err) = $node->psql('operator_update', 'ALTER EXTENSION hive_tokens UPDATE');
like($err, qr/holds objects of others/, 'the update refuses a schema holding an operator');
unlike($err, qr/look-alike operator ran/, 'and runs none of it');
$node->safe_psql('postgres', 'CREATE DATABASE empty_schema');
$node->safe_psql('empty_schema', 'CREATE SCHEMA hive_tokens');
$node->safe_psql('empty_schema', 'CREATE EXTENSION hive_tokens');
is($node->safe_psql('empty_schema', "SELECT extversion FROM pg_extension WHERE extname = 'hive_tokens'"), $current,
	'an empty schema of the installing role that nobody else may write is used');
$node->safe_psql('postgres', 'CREATE DATABASE stray');
$node->safe_psql('stray', "CREATE EXTENSION hive_tokens VERSION '0.1'");
$node->safe_psql('stray', 'CREATE FUNCTION hive_tokens.issue(uuid, text, text) RETURNS text LANGUAGE sql AS $$SELECT 1::text$$');
($ret, $out, $err) = $node->psql('stray', 'ALTER EXTENSION hive_tokens UPDATE');
like($err, qr/schema hive_tokens holds objects of others.*\n.*For one: function (hive_tokens\.)?issue\(uuid,text,text\)/,
	'the update refuses a schema holding another role\'s function, and names it');

$node->stop;
done_testing();
