// Maps a database error to an HTTP status by its SQLSTATE and its schema field, never by its
// message (the table is docs/errors.md of the hive_tokens repository). Every error hive_tokens
// raises itself carries schema "hive_tokens"; PostgreSQL's own errors never do, so a missing
// GRANT (42501 too) is a 500, not a 403.

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function httpStatus(err) {
  if (err instanceof HttpError) return err.status;
  if (err === null || typeof err !== 'object' || typeof err.code !== 'string') return 500;
  if (err.schema !== 'hive_tokens') return err.code === '40001' || err.code === '40P01' ? 503 : 500;
  switch (err.code) {
    case '28000': // the token is missing, malformed, unknown, revoked or expired
      return 401;
    case '42501': // the principal may not do this (assert_can, management, a protect()ed write)
      return 403;
    case '22023': // invalid input the request carried
    case '22P02':
    case '22P03':
    case '22004':
    case '54000':
      return 400;
    case 'P0002': // no such token
      return 404;
    default: // 42704 (an unknown action in our code), 25000, 55000, key file problems: our bug
      return 500;
  }
}

// What the client may read: the database's message for 4xx (written for the requester, never
// holding a secret), nothing for 5xx (logged here instead).
export function publicMessage(err, status) {
  if (status >= 500) return 'internal error';
  return err.message;
}
