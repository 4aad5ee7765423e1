#include "base62.h"

#include <array>
#include <cstring>

namespace hive_tokens::core::base62 {

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
    // The number is kept as little-endian 32-bit limbs and fed five digits at a time
    // (62^5 < 2^32), so one token body costs 13 x 12 multiply-adds instead of 65 x 48.
    constexpr std::size_t kMaxLimbs = 32;
    const std::size_t nlimbs = (nbytes + 3) / 4;
    if (nlimbs > kMaxLimbs) return false;
    std::uint32_t limb[kMaxLimbs] = {};
    std::size_t i = 0;
    std::size_t first = width % 5 == 0 ? 5 : width % 5;
    while (i < width) {
        std::size_t take = i == 0 ? first : 5;
        if (take > width) take = width;
        std::uint32_t chunk = 0, mul = 1;
        for (std::size_t k = 0; k < take; ++k) {
            int d = detail::kDigits[static_cast<unsigned char>(in[i + k])];
            if (d < 0) {
                std::memset(limb, 0, sizeof limb);
                return false;
            }
            chunk = chunk * 62 + static_cast<std::uint32_t>(d);
            mul *= 62;
        }
        i += take;
        std::uint64_t carry = chunk;
        for (std::size_t j = 0; j < nlimbs; ++j) {
            std::uint64_t t = static_cast<std::uint64_t>(limb[j]) * mul + carry;
            limb[j] = static_cast<std::uint32_t>(t);
            carry = t >> 32;
        }
        if (carry != 0) {
            std::memset(limb, 0, sizeof limb);
            return false;
        }
    }
    // Bytes of the top limb beyond nbytes must be zero.
    for (std::size_t b = nbytes; b < nlimbs * 4; ++b)
        if ((limb[b / 4] >> (8 * (b % 4))) & 0xff) {
            std::memset(limb, 0, sizeof limb);
            return false;
        }
    for (std::size_t b = 0; b < nbytes; ++b)
        out[nbytes - 1 - b] = static_cast<std::uint8_t>(limb[b / 4] >> (8 * (b % 4)));
    std::memset(limb, 0, sizeof limb);  // held secret material
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
