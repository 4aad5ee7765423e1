// One transaction per request, with the request's token as the transaction's principal.
//
// BEGIN; SELECT hive_tokens.try_authenticate($1); ...the request's statements...; COMMIT.
// The token travels as a bind parameter, never inside SQL text. try_authenticate() answers NULL
// for a token that is not live (no error, nothing in the server log: scanners cannot fill it),
// which becomes a 401 here. The principal ends with the transaction, so it never reaches the
// next request on the pooled connection (or pgbouncer's, in transaction pooling). What the session
// keeps could (temporary objects, statements prepared with SQL, settings), were an earlier request
// able to run SQL of its own: every request starts with DISCARD ALL (behind pgbouncer in
// transaction pooling, set server_reset_query = DISCARD ALL and server_reset_query_always = 1
// there), and try_authenticate() refuses (55000) a session still holding such objects.

import pg from 'pg';
import { HttpError } from './errors.js';

export function createPool(config) {
  return new pg.Pool({ max: 10, ...config });
}

export async function withToken(pool, token, work) {
  const client = await pool.connect();
  let open = false;
  try {
    await client.query('DISCARD ALL');
    await client.query('BEGIN');
    open = true;
    const { rows } = await client.query('SELECT hive_tokens.try_authenticate($1) AS token_id', [token]);
    if (rows[0].token_id === null) throw new HttpError(401, 'invalid access token');
    const result = await work(client, rows[0].token_id);
    await client.query('COMMIT');
    open = false;
    client.release();
    return result;
  } catch (err) {
    // A connection whose ROLLBACK failed may still be in the transaction, principal and all: it
    // is destroyed rather than returned to the pool.
    let broken = false;
    if (open) await client.query('ROLLBACK').catch(() => { broken = true; });
    client.release(broken);
    throw err;
  }
}
