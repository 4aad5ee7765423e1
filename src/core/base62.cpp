#include "base62.h"

#include <cstring>

namespace hive_tokens::core::base62 {

const char kAlphabet[63] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 36;
    return -1;
}

bool encode(const std::uint8_t* in, std::size_t nbytes, char* out, std::size_t width) noexcept {
    // Repeated division of a scratch copy of the number by 62, least significant digit first.
    std::uint8_t num[128];
    if (nbytes > sizeof num) return false;
    std::memcpy(num, in, nbytes);
    for (std::size_t i = width; i-- > 0;) {
        unsigned rem = 0;
        for (std::size_t j = 0; j < nbytes; ++j) {
            unsigned cur = (rem << 8) | num[j];
            num[j] = static_cast<std::uint8_t>(cur / 62);
            rem = cur % 62;
        }
        out[i] = kAlphabet[rem];
    }
    bool fits = true;
    for (std::size_t j = 0; j < nbytes; ++j)
        if (num[j] != 0) fits = false;
    std::memset(num, 0, sizeof num);  // may have held secret material
    return fits;
}

bool decode(const char* in, std::size_t width, std::uint8_t* out, std::size_t nbytes) noexcept {
    std::memset(out, 0, nbytes);
    for (std::size_t i = 0; i < width; ++i) {
        int d = digit_value(in[i]);
        if (d < 0) return false;
        unsigned carry = static_cast<unsigned>(d);
        for (std::size_t j = nbytes; j-- > 0;) {
            unsigned cur = out[j] * 62u + carry;
            out[j] = static_cast<std::uint8_t>(cur & 0xff);
            carry = cur >> 8;
        }
        if (carry != 0) return false;
    }
    return true;
}

void encode_u32(std::uint32_t v, char out[6]) noexcept {
    for (int i = 5; i >= 0; --i) {
        out[i] = kAlphabet[v % 62];
        v /= 62;
    }
}

bool decode_u32(const char in[6], std::uint32_t* v) noexcept {
    std::uint64_t acc = 0;
    for (int i = 0; i < 6; ++i) {
        int d = digit_value(in[i]);
        if (d < 0) return false;
        acc = acc * 62 + static_cast<unsigned>(d);
    }
    if (acc > 0xffffffffULL) return false;
    *v = static_cast<std::uint32_t>(acc);
    return true;
}

}  // namespace hive_tokens::core::base62
