#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>

#include "base62.h"
#include "crc32.h"

using namespace hive_tokens::core;

TEST(Base62, EncodedLengths) {
    EXPECT_EQ(base62::encoded_length(16), 22u);
    EXPECT_EQ(base62::encoded_length(32), 43u);
    EXPECT_EQ(base62::encoded_length(48), 65u);
    EXPECT_EQ(base62::encoded_length(4), 6u);
}

TEST(Base62, RoundTripRandom) {
    ASSERT_GE(sodium_init(), 0);
    for (int i = 0; i < 1000; ++i) {
        std::uint8_t in[48], out[48];
        randombytes_buf(in, sizeof in);
        char enc[65];
        ASSERT_TRUE(base62::encode(in, sizeof in, enc, sizeof enc));
        ASSERT_TRUE(base62::decode(enc, sizeof enc, out, sizeof out));
        ASSERT_EQ(0, std::memcmp(in, out, sizeof in));
    }
}

TEST(Base62, FixedWidthAndExtremes) {
    std::uint8_t zero[48] = {};
    char enc[65];
    ASSERT_TRUE(base62::encode(zero, 48, enc, 65));
    EXPECT_EQ(std::string(enc, 65), std::string(65, '0'));
    std::uint8_t ones[48];
    std::memset(ones, 0xff, sizeof ones);
    ASSERT_TRUE(base62::encode(ones, 48, enc, 65));
    std::uint8_t back[48];
    ASSERT_TRUE(base62::decode(enc, 65, back, 48));
    EXPECT_EQ(0, std::memcmp(ones, back, 48));
    // 2^384 - 1 needs 65 characters; it does not fit in 64.
    char small[64];
    EXPECT_FALSE(base62::encode(ones, 48, small, 64));
}

TEST(Base62, DecodeRejectsOverflowAndBadCharacters) {
    std::string all_z(65, 'z');  // 62^65 - 1 > 2^384 - 1
    std::uint8_t out[48];
    EXPECT_FALSE(base62::decode(all_z.data(), 65, out, 48));
    std::string bad(65, '0');
    bad[10] = '_';
    EXPECT_FALSE(base62::decode(bad.data(), 65, out, 48));
    EXPECT_EQ(base62::digit_value('-'), -1);
    EXPECT_EQ(base62::digit_value('z'), 61);
    EXPECT_EQ(base62::digit_value('A'), 10);
}

TEST(Base62, DecodeBoundaryAt2To384) {
    std::uint8_t out[48];
    // 2^384 - 1 is the largest 48-byte value; 2^384 is one too many.
    ASSERT_TRUE(base62::decode("7cyhQvv5axdeihmOzIHjs85TcUIYiWHdsxNz50GTerEOR5ucj2TITPXxyaCUli1oF", 65, out, 48));
    for (std::uint8_t b : out) EXPECT_EQ(b, 0xff);
    EXPECT_FALSE(base62::decode("7cyhQvv5axdeihmOzIHjs85TcUIYiWHdsxNz50GTerEOR5ucj2TITPXxyaCUli1oG", 65, out, 48));
}

// The limb-based decoder agrees with schoolbook base conversion on random digit strings,
// including ones that overflow.
TEST(Base62, DecodeMatchesReference) {
    ASSERT_GE(sodium_init(), 0);
    for (int n = 0; n < 2000; ++n) {
        char in[65];
        for (char& c : in) c = base62::kAlphabet[randombytes_uniform(62)];
        if (n % 2 == 0) in[0] = base62::kAlphabet[randombytes_uniform(8)];  // half of them fit
        std::uint8_t ref[48] = {};
        bool ref_ok = true;
        for (char c : in) {
            unsigned carry = static_cast<unsigned>(base62::digit_value(c));
            for (int j = 47; j >= 0; --j) {
                unsigned cur = ref[j] * 62u + carry;
                ref[j] = static_cast<std::uint8_t>(cur);
                carry = cur >> 8;
            }
            if (carry) ref_ok = false;
        }
        std::uint8_t got[48];
        bool ok = base62::decode(in, 65, got, 48);
        ASSERT_EQ(ok, ref_ok);
        if (ok) {
            ASSERT_EQ(0, std::memcmp(got, ref, 48));
        }
    }
}

TEST(Base62, U32) {
    for (std::uint32_t v : {0u, 1u, 61u, 62u, 123456789u, 0xffffffffu}) {
        char s[6];
        base62::encode_u32(v, s);
        std::uint32_t back = 0;
        ASSERT_TRUE(base62::decode_u32(s, &back));
        EXPECT_EQ(v, back);
    }
    std::uint32_t v;
    EXPECT_FALSE(base62::decode_u32("zzzzzz", &v));  // 62^6 - 1 > 2^32 - 1
    EXPECT_FALSE(base62::decode_u32("00000/", &v));
}

TEST(Crc32, KnownVectors) {
    EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
    EXPECT_EQ(crc32("", 0), 0u);
    EXPECT_EQ(crc32("a", 1), 0xE8B7BE43u);
}
