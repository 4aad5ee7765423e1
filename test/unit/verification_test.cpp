// The decision verify(), verify_reason() and authenticate() share (src/core/verification.h).
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <string>

#include "keyring.h"
#include "token_codec.h"
#include "verification.h"

using namespace hive_tokens::core;

namespace {

class Verification : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        std::string file = "2 " + std::string(64, 'a') + "\n1 " + std::string(64, 'b') + "\n";
        parse_keyring(file.data(), file.size(), "test.key", &ring);
        ParsedToken pt;
        generate_token(TokenKind::Organization, &pt);
        char t[kTokenLength];
        format_token(TokenKind::Organization, pt.id, pt.secret, t);
        token.assign(t, sizeof t);
        std::memcpy(id.b, pt.id, 16);
        keyed_hash(*ring.find(2), token.data(), token.size(), hash);
    }
    // A stored row for the token: its hash under key 2, unless told otherwise.
    StoredCredential row(int key_id = 2, bool with_hash = true) {
        StoredCredential c;
        c.hash = with_hash ? hash : nullptr;
        c.hash_len = with_hash ? kHashBytes : 0;
        c.has_key_id = true;
        c.key_id = key_id;
        return c;
    }
    Keyring ring;
    std::string token;
    Uuid id;
    std::uint8_t hash[kHashBytes];
};

}  // namespace

TEST_F(Verification, TokenIdDecodesWithoutTheSecret) {
    Uuid got;
    ASSERT_EQ(token_id(token, &got), Reason::Ok);
    EXPECT_EQ(got, id);
    std::string typo = token;
    typo[20] = typo[20] == 'a' ? 'b' : 'a';
    EXPECT_EQ(token_id(typo, &got), Reason::Checksum);
    EXPECT_EQ(token_id("hvo2_short", &got), Reason::Malformed);
    EXPECT_EQ(token_id("", &got), Reason::Malformed);
}

TEST_F(Verification, LiveRow) {
    StoredCredential live = row();
    EXPECT_EQ(decide(token, ring, &live, nullptr, 1000), Reason::Ok);
    // another token for the same id (forged): unknown, not "wrong secret"
    std::string forged = token;
    forged[30] = forged[30] == 'x' ? 'y' : 'x';
    EXPECT_EQ(decide(forged, ring, &live, nullptr, 1000), Reason::Unknown);
    // expiry is checked only for the real token, at or after the instant
    live.has_expiry = true;
    live.expires_at = 1000;
    EXPECT_EQ(decide(token, ring, &live, nullptr, 999), Reason::Ok);
    EXPECT_EQ(decide(token, ring, &live, nullptr, 1000), Reason::Expired);
    EXPECT_EQ(decide(forged, ring, &live, nullptr, 2000), Reason::Unknown);
    // a key the ring lacks; a NULL hash; a hash of the wrong length
    StoredCredential other_key = row(7);
    EXPECT_EQ(decide(token, ring, &other_key, nullptr, 0), Reason::KeyUnavailable);
    StoredCredential no_hash = row(2, false);
    EXPECT_EQ(decide(token, ring, &no_hash, nullptr, 0), Reason::Unknown);
    StoredCredential short_hash = row();
    short_hash.hash_len = 16;
    EXPECT_EQ(decide(token, ring, &short_hash, nullptr, 0), Reason::Unknown);
    // the same token under another key of the ring does not match
    StoredCredential wrong_key = row(1);
    EXPECT_EQ(decide(token, ring, &wrong_key, nullptr, 0), Reason::Unknown);
}

TEST_F(Verification, Tombstones) {
    StoredCredential tomb = row();
    EXPECT_EQ(decide(token, ring, nullptr, &tomb, 0), Reason::Revoked);
    std::string forged = token;
    forged[30] = forged[30] == 'x' ? 'y' : 'x';
    EXPECT_EQ(decide(forged, ring, nullptr, &tomb, 0), Reason::Unknown);  // only the holder learns it
    EXPECT_EQ(decide(token, ring, nullptr, nullptr, 0), Reason::Unknown);
}

TEST_F(Verification, WordsAndVisibility) {
    EXPECT_STREQ(reason_name(Reason::KeyUnavailable), "key_unavailable");
    EXPECT_STREQ(reason_name(Reason::Checksum), "checksum");
    EXPECT_STREQ(reason_detail(Reason::Checksum), "mistyped (checksum)");
    EXPECT_STREQ(reason_detail(Reason::Revoked), "revoked");
    EXPECT_STREQ(reason_name(Reason::LegacyRefused), "legacy_refused");
    EXPECT_STREQ(reason_detail(Reason::LegacyRefused), "a legacy Hive token (hv?1/), no longer accepted");
    EXPECT_EQ(visible_reason(Reason::KeyUnavailable, false), Reason::Unknown);
    EXPECT_EQ(visible_reason(Reason::KeyUnavailable, true), Reason::KeyUnavailable);
    EXPECT_EQ(visible_reason(Reason::Expired, false), Reason::Expired);
}
