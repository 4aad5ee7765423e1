// The example service against a real database: directly, and through pgbouncer in transaction
// pooling mode. HT_TEST_ADMIN and HT_TEST_TARGETS (JSON node-postgres configs) say where;
// test/t/013_node_example.pl of the repository starts both and runs this. Skipped without them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createPool, withToken } from '../src/db.js';
import { createServer } from '../src/server.js';

const admin = process.env.HT_TEST_ADMIN ? JSON.parse(process.env.HT_TEST_ADMIN) : null;
const targets = process.env.HT_TEST_TARGETS ? JSON.parse(process.env.HT_TEST_TARGETS) : [];
const skip = admin === null || targets.length === 0 ? 'HT_TEST_ADMIN and HT_TEST_TARGETS are not set' : false;

const ACME = '00000000-0000-4000-8000-0000000000a1';
const GLOBEX = '00000000-0000-4000-8000-0000000000a2';
const STOREFRONT = '00000000-0000-4000-8000-0000000000b1';
const PRODUCTION = '00000000-0000-4000-8000-0000000000c1';
const tokens = {};

async function setUp() {
  const db = new pg.Client(admin);
  await db.connect();
  try {
    const model = await readFile(new URL('../../../sql/include/hive_model.sql', import.meta.url), 'utf8');
    await db.query('CREATE EXTENSION IF NOT EXISTS hive_tokens; DROP SCHEMA IF EXISTS hive CASCADE');
    await db.query(model);
    await db.query(`
      DO $$ BEGIN CREATE ROLE app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
      GRANT USAGE ON SCHEMA hive TO app;
      GRANT SELECT, INSERT ON hive.projects, hive.schema_versions TO app;
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA hive TO app;
      GRANT EXECUTE ON FUNCTION hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) TO app;
      GRANT SELECT ON hive_tokens.tokens TO app;`);
    const issue = async (name, org, scopes, resources = { mode: '*' }) => {
      const { rows } = await db.query('SELECT token_id, token FROM hive_tokens.issue($1, $2, $3, $4)',
        [org, name, scopes, JSON.stringify(resources)]);
      tokens[name] = rows[0];
    };
    await issue('acme reader', ACME, '{project:describe}');
    await issue('globex reader', GLOBEX, '{project:describe}');
    await issue('acme admin', ACME, '{organization:describe,project:describe,project:modifySettings,accessToken:modify}');
    await issue('acme ci', ACME, '{project:describe,schemaVersion:publish}', {
      mode: 'granular',
      projects: [{ type: 'project', id: STOREFRONT, targets: { mode: 'granular', targets: [
        { type: 'target', id: PRODUCTION, services: { mode: 'granular', services: [{ type: 'service', serviceName: 'products' }] },
          appDeployments: { mode: '*' } }] } }],
    });
    await issue('revoked', ACME, '{project:describe}');
    await db.query('SELECT hive_tokens.revoke($1)', [tokens.revoked.token_id]);
  } finally {
    await db.end();
  }
}

for (const target of targets) {
  describe(`through ${target.name}`, { skip }, () => {
    let pool;
    let server;
    let base;
    const logged = [];
    const call = async (method, path, token, body) => {
      const headers = { 'content-type': 'application/json' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const as = (name) => tokens[name].token;

    before(async () => {
      if (Object.keys(tokens).length === 0) await setUp();
      pool = createPool({ ...target, max: 4 });
      server = createServer(pool, { error: (line) => logged.push(line) });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${server.address().port}`;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    });

    test('401 for a missing, malformed, unknown or revoked token', async () => {
      assert.deepEqual(await call('GET', '/projects'), { status: 401, body: { error: 'missing bearer token' } });
      assert.deepEqual(await call('GET', '/projects', 'not a token'), { status: 401, body: { error: 'missing bearer token' } });
      for (const bad of ['hvo2_malformed', 'hvo2_' + 'A'.repeat(70), as('revoked')]) {
        assert.deepEqual(await call('GET', '/projects', bad), { status: 401, body: { error: 'invalid access token' } }, bad.slice(0, 8));
      }
    });

    test('each token reads its own organization only', async () => {
      const acme = await call('GET', '/projects', as('acme reader'));
      assert.equal(acme.status, 200);
      assert.ok(acme.body.every((p) => p.organization_id === ACME));
      for (const name of ['internal', 'storefront']) assert.ok(acme.body.some((p) => p.name === name), name);
      const globex = await call('GET', '/projects', as('globex reader'));
      assert.deepEqual(globex.body.map((p) => p.name), ['globex-api']);
      const versions = await call('GET', `/projects/${STOREFRONT}/schema-versions`, as('globex reader'));
      assert.deepEqual(versions, { status: 200, body: [] });
    });

    test('403 when assert_can refuses, with Hive\'s message', async () => {
      const write = { target_id: PRODUCTION, service_name: 'products', sdl: 'type Query { a: Int }' };
      const reader = await call('POST', `/projects/${STOREFRONT}/schema-versions`, as('acme reader'), write);
      assert.deepEqual(reader, { status: 403, body: { error: "Missing permission for performing 'schemaVersion:publish' on resource", code: '42501' } });
      const otherService = await call('POST', `/projects/${STOREFRONT}/schema-versions`, as('acme ci'), { ...write, service_name: 'reviews' });
      assert.equal(otherService.status, 403);
      const allowed = await call('POST', `/projects/${STOREFRONT}/schema-versions`, as('acme ci'), write);
      assert.equal(allowed.status, 201);
    });

    test('403 when row-level security alone refuses a write; 201 when it allows it', async () => {
      const refused = await call('POST', '/projects', as('acme reader'), { name: 'new' });
      assert.deepEqual(refused, { status: 403, body: { error: "Missing permission for performing 'project:modifySettings' on resource", code: '42501' } });
      const allowed = await call('POST', '/projects', as('acme admin'), { name: `made by admin ${target.name}` });
      assert.equal(allowed.status, 201);
    });

    test('400 for invalid input, from the service or from the extension', async () => {
      assert.equal((await call('GET', '/projects/not-a-uuid/schema-versions', as('acme reader'))).status, 400);
      const badTitle = await call('POST', '/tokens', as('acme admin'), { title: 'x', scopes: ['project:describe'] });
      assert.equal(badTitle.status, 400);
      assert.equal(badTitle.body.code, '22023');
      const unknownScope = await call('POST', '/tokens', as('acme admin'), { title: 'unknown scope', scopes: ['nope:nope'] });
      assert.equal(unknownScope.status, 400);
      assert.equal(unknownScope.body.code, '22P02');
      assert.equal((await call('POST', '/tokens', as('acme admin'), { title: 'bad', scopes: ['nope'] })).status, 400);
    });

    test('issuing within the issuer\'s grants works; beyond them is 403', async () => {
      const ok = await call('POST', '/tokens', as('acme admin'), { title: `reader ${target.name}`, scopes: ['project:describe'] });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.body.scopes, ['project:describe']);
      assert.match(ok.body.token, /^hvo2_/);
      assert.equal((await call('GET', '/projects', ok.body.token)).status, 200);
      const beyond = await call('POST', '/tokens', as('acme admin'), { title: 'too much', scopes: ['schemaVersion:publish'] });
      assert.equal(beyond.status, 403);
    });

    test('500 for a deployment problem (a missing GRANT), without its message', async () => {
      const before = logged.length;
      assert.deepEqual(await call('GET', '/targets', as('acme reader')), { status: 500, body: { error: 'internal error' } });
      assert.equal(logged.length, before + 1);
    });

    test('no request ever sees another organization\'s rows, under concurrency', async () => {
      const names = ['acme reader', 'globex reader', 'revoked', undefined];
      const expect = { 'acme reader': ACME, 'globex reader': GLOBEX };
      const results = await Promise.all(Array.from({ length: 240 }, (_, i) => {
        const name = names[i % names.length];
        return call('GET', '/projects', name && as(name)).then((r) => ({ name, ...r }));
      }));
      let rows = 0;
      for (const r of results) {
        if (r.name === 'revoked' || r.name === undefined) {
          assert.equal(r.status, 401);
          continue;
        }
        assert.equal(r.status, 200);
        assert.ok(r.body.length > 0);
        for (const p of r.body) {
          assert.equal(p.organization_id, expect[r.name]);
          rows += 1;
        }
      }
      assert.ok(rows >= 120);
    });
  });
}

// Directly only: behind pgbouncer in transaction pooling, pgbouncer decides which server
// connection runs what (there server_reset_query resets them).
test('what a request leaves in a pooled session is discarded before the next; a session still holding it is refused', { skip }, async () => {
  if (Object.keys(tokens).length === 0) await setUp();
  const one = createPool({ ...targets.find((t) => t.name === 'direct'), max: 1 });
  try {
    // what SQL injection in an earlier request could leave: a type found before pg_catalog.text
    const c = await one.connect();
    await c.query('CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (VALUE IS NOT NULL)');
    c.release();
    const read = (client) => client.query('SELECT pg_catalog.count(*)::int AS n FROM hive.projects').then((r) => r.rows[0].n);
    // withToken starts with DISCARD ALL: the plant is gone and the request is served
    assert.ok(await withToken(one, tokens['acme reader'].token, read) > 0);
    // without that reset, try_authenticate() would have refused the session
    const d = await one.connect();
    try {
      await d.query('CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (VALUE IS NOT NULL)');
      await d.query('BEGIN');
      await assert.rejects(d.query('SELECT hive_tokens.try_authenticate($1)', [tokens['acme reader'].token]),
        (err) => err.code === '55000' && /refuses a session that holds 1 temporary object/.test(err.message));
      await d.query('ROLLBACK');
    } finally {
      d.release();
    }
  } finally {
    await one.end();
  }
});

test('the API tests ran against every target given', { skip }, () => {
  assert.deepEqual(targets.map((t) => t.name), ['direct', 'pgbouncer']);
});
