#include "legacy_hash.h"

#include <crypt.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace hive_tokens::core {

namespace {
bool bcrypt_base64(char c) noexcept {
    return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
}  // namespace

bool is_bcrypt_hash(std::string_view s) noexcept {
    if (s.size() != kBcryptHashChars || s[0] != '$' || s[1] != '2' || (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') ||
        s[3] != '$' || s[6] != '$' || s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9')
        return false;
    const int cost = (s[4] - '0') * 10 + (s[5] - '0');
    if (cost < kBcryptMinCost || cost > kBcryptMaxCost) return false;
    for (std::size_t i = 7; i < s.size(); ++i)
        if (!bcrypt_base64(s[i])) return false;
    return true;
}

LegacyCheck check_legacy_secret(const ParsedToken& parsed, TokenKind row_kind, std::string_view stored) noexcept {
    // another kind costs the same bcrypt: the time taken does not tell a row's kind
    if (parsed.version != 1 || !is_bcrypt_hash(stored)) return LegacyCheck::NoMatch;
    // crypt_rn's work area is about 32 KiB: on the heap, wiped and freed after each use.
    auto* data = static_cast<crypt_data*>(std::calloc(1, sizeof(crypt_data)));
    if (data == nullptr) return LegacyCheck::Error;
    char phrase[kLegacySecretChars + 1];
    std::memcpy(phrase, parsed.legacy_secret, kLegacySecretChars);
    phrase[kLegacySecretChars] = '\0';
    char setting[kBcryptHashChars + 1];
    std::memcpy(setting, stored.data(), kBcryptHashChars);
    setting[kBcryptHashChars] = '\0';
    LegacyCheck result = LegacyCheck::Error;
    const char* out = crypt_rn(phrase, setting, data, static_cast<int>(sizeof *data));
    if (out != nullptr && out[0] != '*') {
        result = std::strlen(out) == kBcryptHashChars && sodium_memcmp(out, stored.data(), kBcryptHashChars) == 0 &&
                         parsed.kind == row_kind
                     ? LegacyCheck::Match
                     : LegacyCheck::NoMatch;
    }
    sodium_memzero(phrase, sizeof phrase);
    sodium_memzero(data, sizeof *data);
    std::free(data);
    return result;
}

}  // namespace hive_tokens::core
