// A small HTTP service in front of Hive's tables protected by hive_tokens (docs: the repository's
// examples/node/README.md). Routes:
//   GET  /projects                            the projects the token may describe (row-level security)
//   GET  /projects/:id/schema-versions        a project's schema versions (row-level security)
//   POST /projects/:id/schema-versions        {target_id, service_name, sdl}: assert_can('schemaVersion:publish'), then INSERT
//   POST /projects                            {name}: an INSERT that row-level security alone decides
//   POST /tokens                              {title, scopes}: issue() a token under the caller's token
//   GET  /targets                             a table the application role has no GRANT on (a deployment bug: 500)

import http from 'node:http';
import { createPool, withToken } from './db.js';
import { HttpError, httpStatus, publicMessage } from './errors.js';
import { parseScopes, formatScopes } from './scopes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bearer(req) {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(h) : null;
  if (!m) throw new HttpError(401, 'missing bearer token');
  return m[1];
}

function uuidParam(value, what) {
  if (!UUID.test(value)) throw new HttpError(400, `${what} must be a uuid`);
  return value.toLowerCase();
}

async function body(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object');
  }
}

function text(value, what) {
  if (typeof value !== 'string') throw new HttpError(400, `${what} must be a string`);
  return value;
}

async function route(pool, req) {
  const url = new URL(req.url, 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return [200, { ok: true }];
  const token = bearer(req);

  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'projects') {
    return withToken(pool, token, async (db) => {
      const { rows } = await db.query('SELECT id, organization_id, name FROM hive.projects ORDER BY name');
      return [200, rows];
    });
  }
  if (parts.length === 3 && parts[0] === 'projects' && parts[2] === 'schema-versions') {
    const project = uuidParam(parts[1], 'project id');
    if (req.method === 'GET') {
      return withToken(pool, token, async (db) => {
        const { rows } = await db.query(
          'SELECT id, organization_id, project_id, target_id, service_name FROM hive.schema_versions WHERE project_id = $1 ORDER BY id',
          [project]);
        return [200, rows];
      });
    }
    if (req.method === 'POST') {
      const b = await body(req);
      const target = uuidParam(text(b.target_id, 'target_id'), 'target_id');
      const service = text(b.service_name, 'service_name');
      const sdl = text(b.sdl, 'sdl');
      return withToken(pool, token, async (db) => {
        // Hive's check first (403 with Hive's message), then the write, which the table's own
        // policy checks again.
        await db.query(
          `SELECT hive_tokens.assert_can('schemaVersion:publish', hive_tokens.current_organization_id(), $1, $2, $3)`,
          [project, target, service]);
        const { rows } = await db.query(
          `INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
           VALUES (hive_tokens.current_organization_id(), $1, $2, $3, $4) RETURNING id`,
          [project, target, service, sdl]);
        return [201, rows[0]];
      });
    }
  }
  if (req.method === 'POST' && parts.length === 1 && parts[0] === 'projects') {
    const b = await body(req);
    const name = text(b.name, 'name');
    return withToken(pool, token, async (db) => {
      const { rows } = await db.query(
        `INSERT INTO hive.projects (id, organization_id, name)
         VALUES (gen_random_uuid(), hive_tokens.current_organization_id(), $1) RETURNING id`,
        [name]);
      return [201, rows[0]];
    });
  }
  if (req.method === 'POST' && parts.length === 1 && parts[0] === 'tokens') {
    const b = await body(req);
    const title = text(b.title, 'title');
    if (!Array.isArray(b.scopes)) throw new HttpError(400, 'scopes must be an array of permission names');
    let scopes;
    try {
      scopes = formatScopes(b.scopes);
    } catch (e) {
      throw new HttpError(400, e.message);
    }
    return withToken(pool, token, async (db) => {
      // (the scopes as stored: the canonical text of what was asked; verify() here would count a use)
      const { rows } = await db.query(
        `SELECT i.token_id, i.token, $2::hive_tokens.scopes::pg_catalog.text AS scopes
           FROM hive_tokens.issue(hive_tokens.current_organization_id(), $1, $2::hive_tokens.scopes) AS i`,
        [title, scopes]);
      return [201, { token_id: rows[0].token_id, token: rows[0].token, scopes: parseScopes(rows[0].scopes) }];
    });
  }
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'targets') {
    return withToken(pool, token, async (db) => {
      const { rows } = await db.query('SELECT id FROM hive.targets');
      return [200, rows];
    });
  }
  throw new HttpError(404, 'not found');
}

export function createServer(pool, log = console) {
  return http.createServer(async (req, res) => {
    let status;
    let payload;
    try {
      [status, payload] = await route(pool, req);
    } catch (err) {
      status = httpStatus(err);
      payload = { error: publicMessage(err, status), ...(err.code && status < 500 ? { code: err.code } : {}) };
      if (status >= 500) log.error(`${req.method} ${req.url}: ${err.code ?? ''} ${err.message}`);
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  });
}

// node src/server.js: PG* environment variables choose the database (as psql does), PORT the port.
if (import.meta.url === `file://${process.argv[1]}`) {
  const pool = createPool({});
  const port = Number(process.env.PORT ?? 8080);
  createServer(pool).listen(port, () => console.log(`listening on http://localhost:${port}`));
}
