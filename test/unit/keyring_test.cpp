#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <set>
#include <string>

#include "error.h"
#include "keyring.h"

using namespace hive_tokens::core;

namespace {

std::string hex_of(const std::uint8_t* p, std::size_t n) {
    std::string s(2 * n + 1, '\0');
    sodium_bin2hex(&s[0], s.size(), p, n);
    s.pop_back();
    return s;
}

const std::string kKey1 = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
const std::string kKey2 = "abababababababababababababababababababababababababababababababab";

Keyring parse(const std::string& s) {
    Keyring r;
    parse_keyring(s.data(), s.size(), "test.key", &r);
    return r;
}

// Returns the error message of parsing s (empty if it parsed).
std::string error_of(const std::string& s) {
    try {
        parse(s);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::ConfigFile);
        EXPECT_FALSE(e.hint().empty());
        return e.what();
    }
    return "";
}

class KeyringTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

}  // namespace

TEST_F(KeyringTest, ParsesKeysCommentsAndBlankLines) {
    Keyring r = parse("# comment\n\n  2 " + kKey2 + "  \r\n1\t" + kKey1 + "\n");
    ASSERT_EQ(r.count, 2u);
    EXPECT_EQ(r.issuing().id, 2);
    ASSERT_NE(r.find(1), nullptr);
    EXPECT_EQ(hex_of(r.find(1)->bytes, 32), kKey1);
    EXPECT_EQ(r.find(3), nullptr);
    r.wipe();
    EXPECT_EQ(r.count, 0u);
    EXPECT_EQ(r.find(1), nullptr);
}

TEST_F(KeyringTest, RejectsBadFilesNamingTheLineButNeverTheKey) {
    struct Case {
        std::string content;
        std::string expect;
    } cases[] = {
        {"", "holds no key"},
        {"# only a comment\n", "holds no key"},
        {"0 " + kKey1, "line 1: the key id"},
        {"32768 " + kKey1, "line 1: the key id"},
        {"x " + kKey1, "line 1: the key id"},
        {kKey1, "line 1: the key id"},
        {"1 " + kKey1.substr(0, 62), "found 62"},
        {"1 " + kKey1 + "00", "found 66"},
        {"1\n", "line 1: the key id"},
        {"\n1 " + kKey1.substr(0, 63) + "g", "line 2: the key contains a non-hexadecimal"},
        {"1 " + kKey1 + "\n1 " + kKey2, "line 2: key id 1 appears twice"},
        {std::string(70000, '#'), "too large"},
    };
    for (const auto& c : cases) {
        std::string msg = error_of(c.content);
        EXPECT_NE(msg.find(c.expect), std::string::npos) << "got: " << msg;
        EXPECT_NE(msg.find("test.key"), std::string::npos);
        EXPECT_EQ(msg.find(kKey1.substr(0, 16)), std::string::npos);
    }
    std::string many;
    for (int i = 1; i <= 17; ++i) many += std::to_string(i) + " " + kKey1 + "\n";
    EXPECT_NE(error_of(many).find("more than 16 keys"), std::string::npos);
}

TEST_F(KeyringTest, FailedParseLeavesNoKeys) {
    Keyring r;
    std::string good = "1 " + kKey1 + "\n2 " + kKey1.substr(0, 10);
    EXPECT_THROW(parse_keyring(good.data(), good.size(), "x", &r), Error);
    EXPECT_EQ(r.count, 0u);
    std::uint8_t zero[kKeyBytes] = {};
    EXPECT_EQ(0, std::memcmp(r.keys[0].bytes, zero, kKeyBytes));
}

// Vectors computed independently with Python's hashlib.blake2b(data, key=key, digest_size=32).
TEST_F(KeyringTest, KeyedHashKnownVectors) {
    Keyring r = parse("1 " + kKey1 + "\n2 " + kKey2 + "\n");
    std::uint8_t h[32];
    const char* token = "hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ";
    keyed_hash(*r.find(1), token, std::strlen(token), h);
    EXPECT_EQ(hex_of(h, 32), "6bf4db98e078531390b9329dcab1608b7bd823cf187d8ab3337f7a117905dcca");
    keyed_hash(*r.find(2), "", 0, h);
    EXPECT_EQ(hex_of(h, 32), "6cbbebacc3bca1a89cc6123c10300c642c8bd4ad85edb8e3e40d6f8478fd192a");
    keyed_hash(*r.find(2), "hvp2_", 5, h);
    EXPECT_EQ(hex_of(h, 32), "991c49bedeb73432d7cd97218c230eb098db06426dc0803e56185211b70fde99");
}

TEST_F(KeyringTest, RotationNewKeyIssuesOldKeyStillVerifies) {
    const char* token = "hvo2_example";
    Keyring before = parse("1 " + kKey1 + "\n");
    std::uint8_t stored[32];
    keyed_hash(before.issuing(), token, std::strlen(token), stored);  // stored with key id 1

    Keyring after = parse("2 " + kKey2 + "\n1 " + kKey1 + "\n");
    EXPECT_EQ(after.issuing().id, 2);
    std::uint8_t again[32];
    keyed_hash(*after.find(1), token, std::strlen(token), again);
    EXPECT_TRUE(hash_equal(stored, again));
    keyed_hash(after.issuing(), token, std::strlen(token), again);
    EXPECT_FALSE(hash_equal(stored, again));

    Keyring retired = parse("2 " + kKey2 + "\n");
    EXPECT_EQ(retired.find(1), nullptr);
}

TEST_F(KeyringTest, HashEqualIsExact) {
    std::uint8_t a[32], b[32];
    randombytes_buf(a, 32);
    std::memcpy(b, a, 32);
    EXPECT_TRUE(hash_equal(a, b));
    for (int i = 0; i < 32; ++i) {
        b[i] ^= 1;
        EXPECT_FALSE(hash_equal(a, b));
        b[i] ^= 1;
    }
}

TEST_F(KeyringTest, NewKeyFileParsesBackWithOneRandomKey) {
    std::string a = new_key_file_content(), b = new_key_file_content();
    Keyring ra = parse(a), rb = parse(b);
    ASSERT_EQ(ra.count, 1u);
    EXPECT_GE(ra.issuing().id, 1);
    EXPECT_NE(0, std::memcmp(ra.issuing().bytes, rb.issuing().bytes, 32));
    std::set<int> ids;
    for (int i = 0; i < 20; ++i) {
        std::string c = new_key_file_content();
        ids.insert(parse(c).issuing().id);
    }
    EXPECT_GT(ids.size(), 15u);  // random ids: independently created keys rarely collide
    wipe_string(&a);
    EXPECT_TRUE(a.empty());
}
