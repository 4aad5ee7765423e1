// Deciding whether a token is live, in one place: verify(), verify_reason() and authenticate()
// all ask decide() and answer with the same Reason. The glue only finds rows by id.
//
//   1. token_id(): decode the token (prefix, length, alphabet, checksum) and yield the id to look
//      up, or why there is none (Malformed, Checksum), without touching a table.
//   2. The glue probes access_tokens by that id, and revoked_tokens only if there is no live row.
//   3. decide(): compare the keyed hash of the token with the stored one in constant time, under
//      the key the row names, and check expiry.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "keyring.h"
#include "uuid.h"

namespace hive_tokens::core {

// LegacyRefused: a token in Hive's legacy form after hive_tokens.legacy_tokens_until (decided
// by the glue before any lookup, the same answer for every such token).
enum class Reason { Ok, Malformed, Checksum, Unknown, Revoked, Expired, KeyUnavailable, LegacyRefused };

// verify_reason()'s word: "ok", "malformed", "checksum", "unknown", "revoked", "expired",
// "key_unavailable", "legacy_refused" (verify_reason() itself says "legacy" for a legacy token
// that verifies).
const char* reason_name(Reason r) noexcept;
// authenticate()'s detail, completing "The token is ...": "malformed", "mistyped (checksum)", ...
const char* reason_detail(Reason r) noexcept;

// The id a token names (Ok), or Malformed / Checksum. Never keeps the secret.
Reason token_id(std::string_view token, Uuid* id) noexcept;

// What a table holds for an id: the keyed hash (nullptr when NULL), the id of the key it was made
// with, and for live tokens the expiry (microseconds on the caller's clock).
struct StoredCredential {
    const std::uint8_t* hash = nullptr;
    std::size_t hash_len = 0;
    bool has_key_id = false;
    int key_id = 0;
    bool has_expiry = false;
    std::int64_t expires_at = 0;
};

// The decision for a token whose id has a row: `live` from access_tokens, or else `tombstone`
// from revoked_tokens (nullptr when that table has no row either). A hash that does not match is
// Unknown (a forged token for a real id learns nothing); a revoked token is Revoked only for the
// holder of its real secret; a row whose key is not in the keyring is KeyUnavailable.
Reason decide(std::string_view token, const Keyring& ring, const StoredCredential* live,
              const StoredCredential* tombstone, std::int64_t now) noexcept;

// KeyUnavailable tells that a row exists for the id: only callers who may read the table anyway
// learn it, everyone else gets Unknown (no oracle for which ids exist).
inline Reason visible_reason(Reason r, bool caller_reads_tokens) noexcept {
    return r == Reason::KeyUnavailable && !caller_reads_tokens ? Reason::Unknown : r;
}

}  // namespace hive_tokens::core
