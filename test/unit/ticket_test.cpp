#include <gtest/gtest.h>

#include <string>

#include "error.h"
#include "keyring.h"
#include "ticket.h"

using namespace hive_tokens::core;

namespace {

Keyring ring_of(const std::string& text) {
    Keyring r;
    parse_keyring(text.data(), text.size(), "test.key", &r);
    return r;
}

const Keyring kRing = ring_of(
    "7 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n"
    "9 abababababababababababababababababababababababababababababababab\n");
const Keyring kOther = ring_of("7 0000000000000000000000000000000000000000000000000000000000000001\n");

constexpr std::int64_t kNow = 1'000'000'000'000'000;

Ticket sample() {
    Ticket t;
    t.database = "hive";
    t.role = "app";
    t.issued_at = kNow;
    t.expires_at = kNow + 60'000'000;
    t.is_token = true;
    for (int i = 0; i < 16; ++i) {
        t.token_id.b[i] = static_cast<std::uint8_t>(i);
        t.organization.b[i] = static_cast<std::uint8_t>(100 + i);
    }
    t.scopes = "organization:describe,project:describe";
    t.resources = R"({"mode":"*","projects":[]})";
    return t;
}

TicketCheck open_now(const std::string& s, std::int64_t now = kNow + 1, Ticket* out = nullptr) {
    Ticket t;
    return open_ticket(s, kRing, now, "hive", "app", "", out ? out : &t);
}

TEST(Ticket, RoundTripsEveryField) {
    Ticket in = sample();
    in.has_user = true;
    in.user_id.b[3] = 42;
    const std::string s = seal_ticket(kRing.issuing(), in);
    EXPECT_EQ(s.rfind("htk1.", 0), 0u);
    Ticket out;
    ASSERT_EQ(open_now(s, kNow + 1, &out), TicketCheck::Ok);
    EXPECT_EQ(out.key_id, 7);
    EXPECT_EQ(out.database, "hive");
    EXPECT_EQ(out.role, "app");
    EXPECT_EQ(out.issued_at, in.issued_at);
    EXPECT_EQ(out.expires_at, in.expires_at);
    EXPECT_TRUE(out.is_token);
    EXPECT_EQ(out.token_id, in.token_id);
    EXPECT_TRUE(out.has_user);
    EXPECT_EQ(out.user_id, in.user_id);
    EXPECT_EQ(out.organization, in.organization);
    EXPECT_EQ(out.scopes, in.scopes);
    EXPECT_EQ(out.resources, in.resources);
}

TEST(Ticket, MemberTicketsCarryNoTokenId) {
    Ticket in = sample();
    in.is_token = false;
    Ticket out;
    ASSERT_EQ(open_now(seal_ticket(kRing.issuing(), in), kNow + 1, &out), TicketCheck::Ok);
    EXPECT_FALSE(out.is_token);
    EXPECT_FALSE(out.has_user);
}

TEST(Ticket, AnyKeyOfTheRingOpensItButNoOtherKey) {
    const std::string by9 = seal_ticket(*kRing.find(9), sample());
    EXPECT_EQ(open_now(by9), TicketCheck::Ok);
    Ticket t;
    EXPECT_EQ(open_ticket(seal_ticket(kRing.issuing(), sample()), kOther, kNow + 1, "hive", "app", "", &t), TicketCheck::BadMac);
    EXPECT_EQ(open_ticket(by9, kOther, kNow + 1, "hive", "app", "", &t), TicketCheck::UnknownKey);
}

TEST(Ticket, EveryAlteredCharacterIsRefused) {
    const std::string s = seal_ticket(kRing.issuing(), sample());
    for (std::size_t i = 0; i < s.size(); ++i) {
        std::string bad = s;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        const TicketCheck c = open_now(bad);
        EXPECT_TRUE(c == TicketCheck::Malformed || c == TicketCheck::BadMac || c == TicketCheck::UnknownKey)
            << "position " << i << ": " << ticket_check_name(c);
    }
    for (std::size_t n = 0; n < s.size(); ++n) EXPECT_NE(open_now(s.substr(0, n)), TicketCheck::Ok) << n;
    EXPECT_EQ(open_now(s + "A"), TicketCheck::Malformed);
    EXPECT_EQ(open_now(""), TicketCheck::Malformed);
    EXPECT_EQ(open_now(std::string(kMaxTicketBytes + 1, 'A')), TicketCheck::Malformed);
}

TEST(Ticket, ExpiresAndIsNotValidBeforeItsTime) {
    const std::string s = seal_ticket(kRing.issuing(), sample());
    EXPECT_EQ(open_now(s, kNow + 59'999'999), TicketCheck::Ok);
    EXPECT_EQ(open_now(s, kNow + 60'000'000), TicketCheck::Expired);
    EXPECT_EQ(open_now(s, kNow - kTicketClockSkewUs), TicketCheck::Ok);  // clocks a little apart
    EXPECT_EQ(open_now(s, kNow - kTicketClockSkewUs - 1), TicketCheck::NotYetValid);
}

TEST(Ticket, IsBoundToItsDatabaseAndRole) {
    const std::string s = seal_ticket(kRing.issuing(), sample());
    Ticket t;
    EXPECT_EQ(open_ticket(s, kRing, kNow, "other", "app", "", &t), TicketCheck::WrongDatabase);
    EXPECT_EQ(open_ticket(s, kRing, kNow, "hive", "App", "", &t), TicketCheck::WrongRole);
    EXPECT_EQ(open_ticket(s, kRing, kNow, "hive", "app\n", "", &t), TicketCheck::WrongRole);
}

TEST(Ticket, SealRefusesBadLifetimesAndHugeGrants) {
    Ticket t = sample();
    t.expires_at = t.issued_at;
    EXPECT_THROW(seal_ticket(kRing.issuing(), t), Error);
    t.expires_at = t.issued_at + kMaxTicketLifetimeUs + 1;
    EXPECT_THROW(seal_ticket(kRing.issuing(), t), Error);
    t = sample();
    t.resources.assign(kMaxTicketBytes, 'x');
    try {
        seal_ticket(kRing.issuing(), t);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::LimitExceeded);
    }
}

TEST(Ticket, FieldsCannotBeShiftedBetweenEachOther) {
    // the role and database are length-prefixed: "ab"+"c" and "a"+"bc" seal differently
    Ticket a = sample(), b = sample();
    a.database = "ab";
    a.role = "c";
    b.database = "a";
    b.role = "bc";
    EXPECT_NE(seal_ticket(kRing.issuing(), a), seal_ticket(kRing.issuing(), b));
    Ticket t;
    EXPECT_EQ(open_ticket(seal_ticket(kRing.issuing(), a), kRing, kNow, "a", "bc", "", &t), TicketCheck::WrongDatabase);
}

TEST(Ticket, IsBoundToItsDistributedTransaction) {
    Ticket in = sample();
    in.transaction = "1:4711:789000000";
    const std::string s = seal_ticket(kRing.issuing(), in);
    Ticket t;
    EXPECT_EQ(open_ticket(s, kRing, kNow, "hive", "app", "1:4711:789000000", &t), TicketCheck::Ok);
    EXPECT_EQ(t.transaction, "1:4711:789000000");
    // replayed in the next transaction, or where there is no distributed transaction
    EXPECT_EQ(open_ticket(s, kRing, kNow, "hive", "app", "1:4712:789000000", &t), TicketCheck::WrongTransaction);
    EXPECT_EQ(open_ticket(s, kRing, kNow, "hive", "app", "", &t), TicketCheck::WrongTransaction);
    // a ticket sealed without one is refused inside one
    EXPECT_EQ(open_ticket(seal_ticket(kRing.issuing(), sample()), kRing, kNow, "hive", "app", "1:4711:789000000", &t),
              TicketCheck::WrongTransaction);
}

}  // namespace
