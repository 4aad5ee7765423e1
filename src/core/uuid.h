// UUIDs: the 16 bytes of a token's, an organization's, a project's or a target's id, and their
// canonical text (lower case, 8-4-4-4-12).
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace hive_tokens::core {

struct Uuid {
    std::uint8_t b[16];
    bool operator==(const Uuid& o) const noexcept { return std::memcmp(b, o.b, 16) == 0; }
    bool operator!=(const Uuid& o) const noexcept { return !(*this == o); }
    bool operator<(const Uuid& o) const noexcept { return std::memcmp(b, o.b, 16) < 0; }
    std::string text() const;  // canonical lower-case form
};

// A hash for unordered containers keyed by token id: the random half of a v4 uuid.
struct UuidHash {
    std::size_t operator()(const Uuid& u) const noexcept {
        std::size_t h;
        std::memcpy(&h, u.b + 8, sizeof h);
        return h;
    }
};

// Only the 36-character hyphenated form, in either case.
bool parse_uuid(std::string_view s, Uuid* out) noexcept;

// The same on raw bytes: canonical text (36 chars, not NUL-terminated) <-> 16 bytes.
void uuid_to_text(const std::uint8_t id[16], char out[36]) noexcept;
bool uuid_from_text(const char* s, std::size_t len, std::uint8_t id[16]) noexcept;

// 0..15 for a hexadecimal digit (either case), -1 otherwise.
int hex_value(char c) noexcept;

}  // namespace hive_tokens::core
