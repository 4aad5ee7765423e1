// TypeScript types for the public records of hive_tokens as node-postgres returns them (uuid and
// text as string, timestamptz as Date, bigint as string, jsonb parsed).

/** A permission name, "<resource>:<action>". */
export type Permission = `${string}:${string}`;

/** A resource assignment (Hive's form): everything, or granular projects and targets. */
export type ResourceAssignment =
  | { mode: '*'; deny?: Array<{ type: 'project' | 'target'; id: string }> }
  | { mode: 'granular'; projects: unknown[]; deny?: Array<{ type: 'project' | 'target'; id: string }> };

/** A row of the view hive_tokens.tokens, and of verify(). The hash never leaves the database. */
export interface TokenRecord {
  id: string;
  organization_id: string;
  kind: 'organization' | 'project' | 'personal';
  project_id: string | null;
  user_id: string | null;
  title: string;
  description: string | null;
  /** The scopes' text form; parse it with parseScopes(). */
  scopes: string;
  resources: ResourceAssignment;
  first_characters: string;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  rotated_to: string | null;
  created_by_token: string | null;
  created_by_user: string | null;
  use_count: string;
}

/** What issue() and rotate() return: the token itself, shown this once. */
export interface IssuedToken {
  token_id: string;
  token: string;
}

/** verify_reason()'s answers. */
export type VerifyReason =
  | 'ok' | 'malformed' | 'checksum' | 'unknown' | 'revoked' | 'expired' | 'key_unavailable' | 'legacy'
  | 'legacy_refused';

export function parseScopes(text: string): Permission[];
export function formatScopes(names: readonly Permission[]): string;

export class HttpError extends Error {
  status: number;
  constructor(status: number, message: string);
}
/** The HTTP status for a database error, by SQLSTATE and the schema field (docs/errors.md). */
export function httpStatus(err: unknown): number;
