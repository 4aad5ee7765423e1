// Fixed-width base62 (alphabet 0-9A-Za-z) of big-endian byte strings and small integers.
#pragma once
#include "core_guard.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace hive_tokens::core::base62 {

inline constexpr char kAlphabet[63] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

namespace detail {
constexpr std::array<signed char, 256> make_digit_table() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 62; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
    return t;
}
inline constexpr std::array<signed char, 256> kDigits = make_digit_table();
}  // namespace detail

// Value of one base62 digit, or -1 if c is not in the alphabet. Inline: it is on the hot path.
inline int digit_value(char c) noexcept { return detail::kDigits[static_cast<unsigned char>(c)]; }

// Number of base62 characters needed to hold any value of nbytes bytes.
constexpr std::size_t encoded_length(std::size_t nbytes) noexcept {
    // ceil(nbytes * 8 / log2(62)); log2(62) = 5.954196310386876
    return static_cast<std::size_t>((nbytes * 8 * 1000000000ULL + 5954196309ULL) / 5954196310ULL);
}

// Encodes the big-endian integer in `in` (nbytes) as exactly `width` characters (leading '0's).
// Returns false if the value does not fit in `width` characters.
bool encode(const std::uint8_t* in, std::size_t nbytes, char* out, std::size_t width) noexcept;

// Decodes exactly `width` characters into `nbytes` big-endian bytes. Returns false on a
// character outside the alphabet or a value that does not fit in nbytes bytes.
bool decode(const char* in, std::size_t width, std::uint8_t* out, std::size_t nbytes) noexcept;

// Encodes a 32-bit value as exactly 6 characters.
void encode_u32(std::uint32_t v, char out[6]) noexcept;
// Decodes 6 characters; false on a bad character or a value >= 2^32.
bool decode_u32(const char in[6], std::uint32_t* v) noexcept;

}  // namespace hive_tokens::core::base62
