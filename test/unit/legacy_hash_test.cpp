// Hive's legacy tokens: their bcrypt hashes are checked with the system's libcrypt
// (src/core/legacy_hash.h).
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <string>

#include "legacy_hash.h"
#include "token_codec.h"

using namespace hive_tokens::core;

namespace {

// A legacy project token for id 0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0 with the secret "abab...ab"
// (the codec test's vector), and bcrypt hashes of that secret made by another implementation
// (PostgreSQL's pgcrypto: crypt(repeat('ab', 32), gen_salt('bf', 4)) and gen_salt('bf', 10)).
const char* kLegacy =
    "hvp1/MGYxZTJkM2MtNGI1YS00OTc4LTg3OTYtYTViNGMzZDJlMWYwOmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh"
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWI=";
const char* kCost4 = "$2a$04$8mwlVQj5aP3TWsz89W151ODwVKr.y5Erlw/EYw1w1rJloO2ttEin2";
const char* kCost10 = "$2a$10$XYGRCo.46PVTMM2b2dlCYeimkDCNlrHV3lRf2BBLd/huQVHRfxk2y";

ParsedToken parsed(const std::string& s) {
    ParsedToken t;
    EXPECT_TRUE(parse_token(s.data(), s.size(), &t).ok());
    return t;
}

TEST(LegacyHash, MatchesHashesOfAnotherImplementation) {
    ParsedToken t = parsed(kLegacy);
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, kCost4), LegacyCheck::Match);
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, kCost10), LegacyCheck::Match);
    // $2b$ and $2y$ are the same algorithm for secrets this short (ASCII, under 72 bytes)
    std::string b = kCost4, y = kCost4;
    b[2] = 'b';
    y[2] = 'y';
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, b), LegacyCheck::Match);
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, y), LegacyCheck::Match);
}

TEST(LegacyHash, RefusesAnotherSecretKindOrShape) {
    ParsedToken t = parsed(kLegacy);
    // the kind in the prefix must be the row's: a project token's secret does not make an
    // organization token
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Organization, kCost4), LegacyCheck::NoMatch);
    ParsedToken other = t;
    other.legacy_secret[63] = other.legacy_secret[63] == 'b' ? 'c' : 'b';
    EXPECT_EQ(check_legacy_secret(other, TokenKind::Project, kCost4), LegacyCheck::NoMatch);
    std::string wrong = kCost4;
    wrong[59] = wrong[59] == '2' ? '3' : '2';
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, wrong), LegacyCheck::NoMatch);
    // a version-2 token never matches a bcrypt hash
    ParsedToken v2;
    generate_token(TokenKind::Project, &v2);
    EXPECT_EQ(check_legacy_secret(v2, TokenKind::Project, kCost4), LegacyCheck::NoMatch);
}

TEST(LegacyHash, ShapeAndCostBounds) {
    EXPECT_TRUE(is_bcrypt_hash(kCost4));
    EXPECT_TRUE(is_bcrypt_hash(kCost10));
    std::string s = kCost10;
    EXPECT_FALSE(is_bcrypt_hash(s.substr(0, 59)));
    EXPECT_FALSE(is_bcrypt_hash(s + "x"));
    std::string dollar1 = s;
    dollar1.replace(0, 4, "$1$x");
    EXPECT_FALSE(is_bcrypt_hash(dollar1));
    std::string x = s;
    x[2] = 'x';
    EXPECT_FALSE(is_bcrypt_hash(x));
    std::string bad_char = s;
    bad_char[20] = '!';
    EXPECT_FALSE(is_bcrypt_hash(bad_char));
    // hostile costs: 31 would take hours per verification; 03 is below bcrypt's minimum
    std::string c31 = s, c03 = s, c13 = s, c12 = s;
    c31.replace(4, 2, "31");
    c03.replace(4, 2, "03");
    c13.replace(4, 2, "13");
    c12.replace(4, 2, "12");
    EXPECT_FALSE(is_bcrypt_hash(c31));
    EXPECT_FALSE(is_bcrypt_hash(c03));
    EXPECT_FALSE(is_bcrypt_hash(c13));
    EXPECT_TRUE(is_bcrypt_hash(c12));
    ParsedToken t = parsed(kLegacy);
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, c31), LegacyCheck::NoMatch);  // never run
    EXPECT_EQ(check_legacy_secret(t, TokenKind::Project, std::string_view(kCost4, 30)), LegacyCheck::NoMatch);
}

// One uuid and secret, one string: bcrypt covers only the secret, so the parser accepts only the
// spelling Hive writes (lower-case uuid and secret, canonical base64).
TEST(LegacyHash, OnlyTheCanonicalSpelling) {
    std::string t = kLegacy;
    ASSERT_EQ(t.substr(t.size() - 2), "I=");  // the last group carries 2 padding bits, zero here
    for (const char* last : {"J=", "K=", "L="}) {
        std::string v = t.substr(0, t.size() - 2) + last;
        ParsedToken p;
        EXPECT_EQ(parse_token(v.data(), v.size(), &p).status, ParseStatus::LegacyMalformed) << v;
    }
    // the same uuid and secret with an upper-case uuid, or an upper-case secret
    auto encode = [](const std::string& payload) {
        static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        std::size_t i = 0;
        for (; i + 3 <= payload.size(); i += 3) {
            unsigned n = (unsigned char)payload[i] << 16 | (unsigned char)payload[i + 1] << 8 | (unsigned char)payload[i + 2];
            out += a[n >> 18 & 63]; out += a[n >> 12 & 63]; out += a[n >> 6 & 63]; out += a[n & 63];
        }
        if (payload.size() - i == 2) {
            unsigned n = (unsigned char)payload[i] << 16 | (unsigned char)payload[i + 1] << 8;
            out += a[n >> 18 & 63]; out += a[n >> 12 & 63]; out += a[n >> 6 & 63]; out += '=';
        }
        return out;
    };
    std::string secret;
    for (int i = 0; i < 32; ++i) secret += "ab";
    const std::string id = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0";
    EXPECT_EQ("hvp1/" + encode(id + ":" + secret), t);  // the encoder agrees with the vector
    std::string upper_id = id, upper_secret = secret;
    for (auto& c : upper_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto& c : upper_secret) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& v : {"hvp1/" + encode(upper_id + ":" + secret), "hvp1/" + encode(id + ":" + upper_secret)}) {
        ParsedToken p;
        EXPECT_EQ(parse_token(v.data(), v.size(), &p).status, ParseStatus::LegacyMalformed) << v;
    }
}

TEST(LegacyHash, RecognisesTheLegacyPrefix) {
    EXPECT_TRUE(is_legacy_token(kLegacy));
    EXPECT_TRUE(is_legacy_token("hvo1/"));
    EXPECT_TRUE(is_legacy_token("hvu1/garbage"));
    EXPECT_FALSE(is_legacy_token("hvo2_abc"));
    EXPECT_FALSE(is_legacy_token("hvx1/abc"));
    EXPECT_FALSE(is_legacy_token("hvo1"));
    EXPECT_FALSE(is_legacy_token(""));
}

}  // namespace
