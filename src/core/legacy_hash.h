// Hive's stored form of a legacy token (hv<c>1/...): a bcrypt hash of the token's 64-hex secret,
// cost 10 in Hive. Checked with the system's libcrypt (libxcrypt's crypt_rn, which implements
// $2a$, $2b$ and $2y$), never with a bcrypt of our own.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <string_view>

#include "token_codec.h"

namespace hive_tokens::core {

constexpr std::size_t kBcryptHashChars = 60;  // "$2b$10$" + 22 salt + 31 hash characters
// The costs accepted: Hive uses 10. Each step doubles the work, so a cost far above it (31 takes
// hours) in imported data would turn every verification of that token into a denial of service.
constexpr int kBcryptMinCost = 4;
constexpr int kBcryptMaxCost = 12;

// Whether text is a bcrypt hash this extension checks: $2a$, $2b$ or $2y$, a two-digit cost
// within [kBcryptMinCost, kBcryptMaxCost], and 53 characters of bcrypt's base64 alphabet.
bool is_bcrypt_hash(std::string_view stored) noexcept;

enum class LegacyCheck { Match, NoMatch, Error };

// Whether a well-formed legacy token (`parsed`, version 1) of kind `row_kind` is the one whose
// secret `stored` (a bcrypt hash) was made from. NoMatch for another kind, a hash of another
// shape, or another secret; Error when libcrypt could not run (memory). Compares in constant
// time and wipes its copies of the secret.
LegacyCheck check_legacy_secret(const ParsedToken& parsed, TokenKind row_kind, std::string_view stored) noexcept;

// Whether text is a token in Hive's legacy form (starts with hv<c>1/), well-formed or not.
inline bool is_legacy_token(std::string_view token) noexcept {
    return token.size() >= kPrefixChars && token[0] == 'h' && token[1] == 'v' &&
           (token[2] == 'o' || token[2] == 'p' || token[2] == 'u') && token[3] == '1' && token[4] == '/';
}

}  // namespace hive_tokens::core
