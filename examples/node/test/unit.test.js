import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScopes, formatScopes } from '../src/scopes.js';
import { httpStatus, HttpError } from '../src/errors.js';

test('parseScopes reads the text form of hive_tokens.scopes', () => {
  assert.deepEqual(parseScopes('{}'), []);
  assert.deepEqual(parseScopes('{organization:describe,project:describe}'), ['organization:describe', 'project:describe']);
  for (const bad of ['', '{', 'organization:describe', '{a}', '{a:b,}', '{a:b,,c:d}', '{a:b c:d}', '{"a:b"}', `{${'a'.repeat(65)}:b}`]) {
    assert.throws(() => parseScopes(bad), TypeError, bad);
  }
  assert.equal(formatScopes(['usage:report', 'project:describe']), '{usage:report,project:describe}');
  assert.throws(() => formatScopes(['usage:report}']), TypeError);
});

test('httpStatus maps by SQLSTATE and the schema field, never the message', () => {
  const ours = (code) => ({ code, schema: 'hive_tokens', message: 'anything' });
  assert.equal(httpStatus(ours('28000')), 401);
  assert.equal(httpStatus(ours('42501')), 403);
  for (const code of ['22023', '22P02', '22P03', '22004', '54000']) assert.equal(httpStatus(ours(code)), 400, code);
  assert.equal(httpStatus(ours('P0002')), 404);
  for (const code of ['42704', '25000', '55000', '58P01', 'XX000']) assert.equal(httpStatus(ours(code)), 500, code);
  // PostgreSQL's own errors of the same codes are deployment problems
  assert.equal(httpStatus({ code: '42501', message: 'permission denied for table targets' }), 500);
  assert.equal(httpStatus({ code: '28000', schema: 'public' }), 500);
  assert.equal(httpStatus({ code: '40001' }), 503);
  assert.equal(httpStatus(new HttpError(401, 'x')), 401);
  assert.equal(httpStatus(new Error('boom')), 500);
  assert.equal(httpStatus(undefined), 500);
});
