#include "uuid.h"

#include <cstring>

namespace hive_tokens::core {


std::string Uuid::text() const {
    char buf[36];
    uuid_to_text(b, buf);
    return std::string(buf, 36);
}

bool parse_uuid(std::string_view s, Uuid* out) noexcept { return uuid_from_text(s.data(), s.size(), out->b); }

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void uuid_to_text(const std::uint8_t id[16], char out[36]) noexcept {
    static const char hex[] = "0123456789abcdef";
    std::size_t o = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 0xf];
    }
}

bool uuid_from_text(const char* s, std::size_t len, std::uint8_t id[16]) noexcept {
    if (len != 36) return false;
    std::size_t b = 0;
    for (std::size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
            ++i;
            continue;
        }
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        id[b++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
    }
    return true;
}

}  // namespace hive_tokens::core
