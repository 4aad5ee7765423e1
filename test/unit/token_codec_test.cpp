#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <set>
#include <string>

#include "token_codec.h"
#include "uuid.h"

using namespace hive_tokens::core;

namespace {

// Computed independently (Python: int.from_bytes(uuid + secret) in base62, zlib.crc32).
const std::uint8_t kId[16] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78,
                              0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
const char* kVector = "hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ";
const char* kLegacy =
    "hvp1/MGYxZTJkM2MtNGI1YS00OTc4LTg3OTYtYTViNGMzZDJlMWYwOmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh"
    "YmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWI=";

std::string fresh(TokenKind kind) {
    ParsedToken t;
    generate_token(kind, &t);
    char buf[kTokenLength];
    format_token(kind, t.id, t.secret, buf);
    return std::string(buf, sizeof buf);
}

ParseStatus status_of(const std::string& s) {
    ParsedToken t;
    return parse_token(s.data(), s.size(), &t).status;
}

class Codec : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

}  // namespace

TEST_F(Codec, KnownVector) {
    std::uint8_t secret[32];
    for (int i = 0; i < 32; ++i) secret[i] = static_cast<std::uint8_t>(i);
    char buf[kTokenLength];
    format_token(TokenKind::Organization, kId, secret, buf);
    EXPECT_EQ(std::string(buf, sizeof buf), kVector);

    ParsedToken t;
    ASSERT_TRUE(parse_token(kVector, std::strlen(kVector), &t).ok());
    EXPECT_EQ(t.version, 2);
    EXPECT_EQ(t.kind, TokenKind::Organization);
    EXPECT_EQ(0, std::memcmp(t.id, kId, 16));
    EXPECT_EQ(0, std::memcmp(t.secret, secret, 32));
}

TEST_F(Codec, RoundTripEveryKind) {
    for (TokenKind k : {TokenKind::Organization, TokenKind::Project, TokenKind::Personal}) {
        for (int i = 0; i < 200; ++i) {
            ParsedToken in;
            generate_token(k, &in);
            char buf[kTokenLength];
            format_token(k, in.id, in.secret, buf);
            ASSERT_EQ(buf[2], static_cast<char>(k));
            ASSERT_EQ(std::string(buf, 5).substr(3), "2_");
            ParsedToken out;
            ASSERT_TRUE(parse_token(buf, sizeof buf, &out).ok());
            ASSERT_EQ(out.kind, k);
            ASSERT_EQ(0, std::memcmp(in.id, out.id, 16));
            ASSERT_EQ(0, std::memcmp(in.secret, out.secret, 32));
        }
    }
}

TEST_F(Codec, GeneratedIdsAreVersion4AndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        ParsedToken t;
        generate_token(TokenKind::Project, &t);
        EXPECT_EQ(t.id[6] >> 4, 4);
        EXPECT_EQ(t.id[8] >> 6, 2);
        seen.insert(std::string(reinterpret_cast<char*>(t.secret), 32));
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(Codec, Rejections) {
    std::string good = fresh(TokenKind::Organization);
    EXPECT_EQ(status_of(""), ParseStatus::Empty);
    EXPECT_EQ(status_of("hv"), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of("xvo2_" + good.substr(5)), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of("hvx2_" + good.substr(5)), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of("hvo3_" + good.substr(5)), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of("hvo2/" + good.substr(5)), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of(good.substr(0, 75)), ParseStatus::WrongLength);
    EXPECT_EQ(status_of(good + "0"), ParseStatus::WrongLength);
    EXPECT_EQ(status_of(std::string(1 << 20, 'h')), ParseStatus::UnknownPrefix);
    EXPECT_EQ(status_of("hvo2_" + std::string(1 << 20, 'a')), ParseStatus::WrongLength);

    std::string bad = good;
    bad[40] = '-';
    ParsedToken t;
    ParseResult r = parse_token(bad.data(), bad.size(), &t);
    EXPECT_EQ(r.status, ParseStatus::BadCharacter);
    EXPECT_EQ(r.position, 40u);
    bad = good;
    bad[20] = '\xc3';  // a UTF-8 lead byte
    EXPECT_EQ(status_of(bad), ParseStatus::BadCharacter);

    EXPECT_EQ(status_of("hvu2_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1TkQuU"),
              ParseStatus::OutOfRange);
}

TEST_F(Codec, FailureWipesOutput) {
    ParsedToken t;
    std::memset(&t, 0x5a, sizeof t);
    std::string bad = fresh(TokenKind::Organization);
    bad[75] = bad[75] == 'a' ? 'b' : 'a';
    ASSERT_FALSE(parse_token(bad.data(), bad.size(), &t).ok());
    ParsedToken zero;
    std::memset(&zero, 0, sizeof zero);
    EXPECT_EQ(0, std::memcmp(&t, &zero, sizeof t));
}

// The checksum must catch every single-character change anywhere in the token.
TEST_F(Codec, ChecksumCatchesEverySingleCharacterChange) {
    for (int round = 0; round < 3; ++round) {
        std::string good = fresh(round == 0 ? TokenKind::Organization : round == 1 ? TokenKind::Project : TokenKind::Personal);
        for (std::size_t pos = 0; pos < good.size(); ++pos) {
            for (int c = 1; c < 256; ++c) {
                if (static_cast<char>(c) == good[pos]) continue;
                std::string m = good;
                m[pos] = static_cast<char>(c);
                ParsedToken t;
                ASSERT_FALSE(parse_token(m.data(), m.size(), &t).ok()) << "position " << pos << " char " << c;
            }
        }
    }
}

TEST_F(Codec, TranspositionsAreCaught) {
    std::string good = fresh(TokenKind::Organization);
    for (std::size_t pos = 5; pos + 1 < good.size(); ++pos) {
        if (good[pos] == good[pos + 1]) continue;
        std::string m = good;
        std::swap(m[pos], m[pos + 1]);
        EXPECT_NE(status_of(m), ParseStatus::Ok) << pos;
    }
}

TEST_F(Codec, LegacyHiveTokens) {
    ParsedToken t;
    ASSERT_TRUE(parse_token(kLegacy, std::strlen(kLegacy), &t).ok());
    EXPECT_EQ(t.version, 1);
    EXPECT_EQ(t.kind, TokenKind::Project);
    EXPECT_EQ(0, std::memcmp(t.id, kId, 16));
    std::string abab;
    for (int i = 0; i < 32; ++i) abab += "ab";
    EXPECT_EQ(std::string(t.legacy_secret, 64), abab);

    std::string broken = kLegacy;
    broken[10] = '*';
    EXPECT_EQ(status_of(broken), ParseStatus::LegacyMalformed);
    EXPECT_EQ(status_of("hvo1/"), ParseStatus::LegacyMalformed);
    EXPECT_EQ(status_of("hvo1/" + std::string("YWJj")), ParseStatus::LegacyMalformed);  // "abc"
}

TEST_F(Codec, Descriptions) {
    for (auto s : {ParseStatus::Empty, ParseStatus::UnknownPrefix, ParseStatus::LegacyFormat, ParseStatus::WrongLength,
                   ParseStatus::BadCharacter, ParseStatus::BadChecksum, ParseStatus::OutOfRange,
                   ParseStatus::LegacyMalformed})
        EXPECT_GT(std::strlen(describe(s)), 5u);
}

TEST_F(Codec, MaskShowsOnlyDisplayPrefix) {
    EXPECT_EQ(mask_token(kVector, std::strlen(kVector), "..."), "hvo2_0Rvk...");
    EXPECT_EQ(mask_token("hv", 2, "..."), "hv...");
}

namespace {
// redact_tokens() on a copy; the number of runs masked goes to *n.
std::string redacted(std::string s, std::size_t* n = nullptr) {
    std::size_t m = redact_tokens(s.data(), s.size());
    if (n != nullptr) *n = m;
    return s;
}
std::string stars(std::size_t n) { return std::string(n, '*'); }
}  // namespace

TEST_F(Codec, RedactsEveryTokenShapedRun) {
    std::string v(kVector);
    std::size_t n = 99;
    // nothing token-shaped: left alone (a prefix in a LIKE pattern, a short run, other letters)
    std::string plain = "SELECT 1 WHERE t LIKE 'hvo2_%' AND x = 'hvo2_short' AND y = 'hvx2_0123456789'";
    EXPECT_EQ(redacted(plain, &n), plain);
    EXPECT_EQ(n, 0u);
    EXPECT_FALSE(contains_token(plain));
    EXPECT_FALSE(contains_token("hvo3_0123456789abcdefghij hv"));
    // a token in a statement, twice, and at the very end
    std::string text = "SELECT hive_tokens.authenticate('" + v + "'), '" + v + "'; -- " + v;
    ASSERT_TRUE(contains_token(text));
    std::string masked = "hvo2_0Rvk" + stars(v.size() - kDisplayChars);
    EXPECT_EQ(redacted(text, &n), "SELECT hive_tokens.authenticate('" + masked + "'), '" + masked + "'; -- " + masked);
    EXPECT_EQ(n, 3u);
    // a mistyped or truncated token is masked too: the shape counts, not the checksum
    EXPECT_EQ(redacted("$1 = '" + v.substr(0, 40) + "'"), "$1 = 'hvo2_0Rvk" + stars(31) + "'");
    // Hive's legacy form, base64 with + / =
    EXPECT_EQ(redacted("x hvp1/YWJjZGVm+/0123456789abcd== y"), "x hvp1/YWJj" + stars(22) + " y");
    // "hv" just before a token; a run exactly at the threshold and one below it
    EXPECT_EQ(redacted("hvhvu2_" + std::string(kRedactMinRun, 'A')), "hvhvu2_AAAA" + stars(kRedactMinRun - 4));
    EXPECT_FALSE(contains_token("hvu2_" + std::string(kRedactMinRun - 1, 'A')));
    EXPECT_TRUE(contains_token("hvu2_" + std::string(kRedactMinRun, 'A')));
    // never reads past len: a token cut off by the length given is judged on what is inside it
    std::string cut = v;
    EXPECT_EQ(redact_tokens(cut.data(), kPrefixChars + kRedactMinRun - 1), 0u);
    EXPECT_EQ(cut, v);
}

// A piece of a token without its prefix (a parse error quoting the last 50 bytes of its input,
// an escaped "_"): masked whole when it is long and mixes character classes.
TEST_F(Codec, RedactsSecretLookingRuns) {
    std::string v(kVector);
    std::string tail = v.substr(30);  // 46 characters, no prefix
    EXPECT_EQ(redacted("JSON data, line 1: ..." + tail + "\",}"), "JSON data, line 1: ..." + stars(tail.size()) + "\",}");
    EXPECT_EQ(redacted("E'hvo2\\x5f" + v.substr(5) + "'"), "E'hvo2\\" + stars(3 + v.size() - 5) + "'");  // "x5f" joins the run
    // a token broken by a line break: both pieces
    std::string broken = v.substr(0, 40) + "\n" + v.substr(40);
    std::string out = redacted(broken);
    EXPECT_EQ(out.find(v.substr(9, 20)), std::string::npos);
    EXPECT_EQ(out.find(v.substr(45, 20)), std::string::npos);
    // left alone: one character class, or shorter than kSecretRun, or split by punctuation
    for (const char* plain : {"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "1234567890123456789012345",
                              "aB3dE6gH9jK2mN5pQ8s", "11111111-2222-4333-8444-555555555555",
                              "hive_tokens_protect_inheritors_and_more", "schemaLinting:modifyOrganizationRules",
                              "laboratory:modifyPreflightScript"}) {
        std::size_t n = 9;
        EXPECT_EQ(redacted(plain, &n), plain) << plain;
        EXPECT_EQ(n, 0u) << plain;
    }
    // digits among letters is masked: the log loses a digest's text, never a secret; so is a long
    // run of both cases without digits
    EXPECT_EQ(redacted("md5 9e107d9d372bb6826bd81d3542a419d6"), "md5 " + stars(32));
    EXPECT_EQ(redacted("x " + std::string("AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEf")), "x " + stars(32));
    // statements: token-shaped text, or a long run of all three classes
    EXPECT_TRUE(statement_holds_secret("SELECT authenticate('" + v + "')"));
    EXPECT_TRUE(statement_holds_secret("SELECT f('" + v.substr(20) + "')"));
    EXPECT_FALSE(statement_holds_secret("SELECT f('9e107d9d372bb6826bd81d3542a419d6')"));
    EXPECT_FALSE(statement_holds_secret("SELECT count(*) FROM hive_tokens.tokens WHERE title = 'abc'"));
}

TEST_F(Codec, KindNames) {
    TokenKind k;
    ASSERT_TRUE(kind_from_name("personal", 8, &k));
    EXPECT_EQ(k, TokenKind::Personal);
    EXPECT_FALSE(kind_from_name("person", 6, &k));
    EXPECT_STREQ(kind_name(TokenKind::Project), "project");
    EXPECT_FALSE(kind_from_letter('x', &k));
}

TEST_F(Codec, UuidText) {
    char text[36];
    uuid_to_text(kId, text);
    EXPECT_EQ(std::string(text, 36), "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0");
    std::uint8_t back[16];
    ASSERT_TRUE(uuid_from_text(text, 36, back));
    EXPECT_EQ(0, std::memcmp(back, kId, 16));
    EXPECT_FALSE(uuid_from_text("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1fg", 36, back));
    EXPECT_FALSE(uuid_from_text("0f1e2d3c04b5a-4978-8796-a5b4c3d2e1f0", 36, back));
    EXPECT_FALSE(uuid_from_text("0f1e2d3c", 8, back));
}

TEST_F(Codec, RedactsCitusTickets) {
    // a ticket is base64url with '-' and '_' breaking it into short runs: masked whole after "htk1."
    const std::string ticket = "htk1.AAAAAjEx-AAAAARoaXZl_AAAAANhcHA.a-b_c.Zm9v";
    std::size_t n = 0;
    EXPECT_EQ(redacted("SET LOCAL hive_tokens.ticket = '" + ticket + "';", &n),
              "SET LOCAL hive_tokens.ticket = 'htk1." + stars(ticket.size() - 5) + "';");
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(redacted("htk1."), "htk1.");
    EXPECT_EQ(redacted("xhtk1.ab htk1.c"), "xhtk1.** htk1.*");
}
