#include "verification.h"

#include <sodium.h>

#include <cstring>

#include "token_codec.h"

namespace hive_tokens::core {

const char* reason_name(Reason r) noexcept {
    switch (r) {
        case Reason::Ok: return "ok";
        case Reason::Malformed: return "malformed";
        case Reason::Checksum: return "checksum";
        case Reason::Unknown: return "unknown";
        case Reason::Revoked: return "revoked";
        case Reason::Expired: return "expired";
        case Reason::KeyUnavailable: return "key_unavailable";
        case Reason::LegacyRefused: return "legacy_refused";
    }
    return "unknown";
}

const char* reason_detail(Reason r) noexcept {
    if (r == Reason::LegacyRefused) return "a legacy Hive token (hv?1/), no longer accepted";
    return r == Reason::Checksum ? "mistyped (checksum)" : reason_name(r);
}

Reason token_id(std::string_view token, Uuid* id) noexcept {
    ParsedToken pt;
    ParseResult pr = parse_token(token.data(), token.size(), &pt);
    if (!pr.ok()) return pr.status == ParseStatus::BadChecksum ? Reason::Checksum : Reason::Malformed;
    std::memcpy(id->b, pt.id, sizeof id->b);
    sodium_memzero(&pt, sizeof pt);  // the secret is re-derived from the token by the keyed hash
    return Reason::Ok;
}

namespace {
// Whether the stored hash is the keyed hash of this token under the key the row names.
Reason matches(std::string_view token, const Keyring& ring, const StoredCredential& c) noexcept {
    if (c.hash == nullptr || !c.has_key_id) return Reason::Unknown;
    const ServerKey* key = ring.find(c.key_id);
    if (key == nullptr) return Reason::KeyUnavailable;
    if (c.hash_len != kHashBytes) return Reason::Unknown;
    std::uint8_t h[kHashBytes];
    keyed_hash(*key, token.data(), token.size(), h);
    bool eq = hash_equal(h, c.hash);
    sodium_memzero(h, sizeof h);
    return eq ? Reason::Ok : Reason::Unknown;
}
}  // namespace

Reason decide(std::string_view token, const Keyring& ring, const StoredCredential* live,
              const StoredCredential* tombstone, std::int64_t now) noexcept {
    if (live != nullptr) {
        Reason r = matches(token, ring, *live);
        if (r == Reason::Ok && live->has_expiry && live->expires_at <= now) return Reason::Expired;
        return r;
    }
    if (tombstone != nullptr && matches(token, ring, *tombstone) == Reason::Ok) return Reason::Revoked;
    return Reason::Unknown;
}

}  // namespace hive_tokens::core
