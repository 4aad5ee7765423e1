// An organization's expiry policy, at issue, at rotation and at every use.
#include <gtest/gtest.h>

#include <limits>

#include "../../src/core/error.h"
#include "../../src/core/expiry.h"

using namespace hive_tokens::core;

namespace {

constexpr std::int64_t kDay = 86400LL * 1000000;

StoredCredential stored(bool has_expiry, std::int64_t expires_at) {
    StoredCredential c;
    c.has_expiry = has_expiry;
    c.expires_at = expires_at;
    return c;
}

ExpiryRule rule(bool has_cap, std::int64_t cap, bool allow_never) {
    ExpiryRule r;
    r.has_cap = has_cap;
    r.cap = cap;
    r.allow_never = allow_never;
    return r;
}

}  // namespace

TEST(Expiry, AtUseTheEarlierOfTheTokensOwnAndTheCap) {
    // issued at day 0 for a year, policy of 30 days: it ends at day 30 (issued before the policy)
    StoredCredential c = stored(true, 365 * kDay);
    apply_expiry_rule(&c, rule(true, 30 * kDay, false));
    EXPECT_TRUE(c.has_expiry);
    EXPECT_EQ(c.expires_at, 30 * kDay);
    // a shorter expiry of its own stays
    c = stored(true, 7 * kDay);
    apply_expiry_rule(&c, rule(true, 30 * kDay, false));
    EXPECT_EQ(c.expires_at, 7 * kDay);
    // without a cap nothing changes for a token that expires
    c = stored(true, 365 * kDay);
    apply_expiry_rule(&c, rule(false, 0, false));
    EXPECT_EQ(c.expires_at, 365 * kDay);
}

TEST(Expiry, AtUseATokenThatNeverExpires) {
    // "never" allowed: exempt from the cap
    StoredCredential c = stored(false, 0);
    apply_expiry_rule(&c, rule(true, 30 * kDay, true));
    EXPECT_FALSE(c.has_expiry);
    // not allowed: the cap
    c = stored(false, 0);
    apply_expiry_rule(&c, rule(true, 30 * kDay, false));
    EXPECT_TRUE(c.has_expiry);
    EXPECT_EQ(c.expires_at, 30 * kDay);
    // not allowed and no cap: expired at once, whatever the clock says
    c = stored(false, 0);
    apply_expiry_rule(&c, rule(false, 0, false));
    EXPECT_TRUE(c.has_expiry);
    EXPECT_EQ(c.expires_at, std::numeric_limits<std::int64_t>::min());
}

TEST(Expiry, AtIssue) {
    const ExpiryRule thirty = rule(true, 30 * kDay, false);
    EXPECT_NO_THROW(check_new_expiry(true, 30 * kDay, thirty, "30 days"));
    EXPECT_NO_THROW(check_new_expiry(true, kDay, thirty, "30 days"));
    try {
        check_new_expiry(true, 30 * kDay + 1, thirty, "30 days");
        ADD_FAILURE() << "an expiry beyond the maximum was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidParameterValue);
        EXPECT_NE(std::string(e.what()).find("maximum token lifetime of 30 days"), std::string::npos) << e.what();
    }
    try {
        check_new_expiry(false, 0, thirty, "30 days");
        ADD_FAILURE() << "a token that never expires was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("requires tokens to expire"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(check_new_expiry(false, 0, rule(true, 30 * kDay, true), "30 days"));
    EXPECT_NO_THROW(check_new_expiry(false, 0, rule(false, 0, true), ""));
    EXPECT_THROW(check_new_expiry(false, 0, rule(false, 0, false), ""), Error);
    EXPECT_NO_THROW(check_new_expiry(true, 3650 * kDay, rule(false, 0, false), ""));
}

TEST(Expiry, AtRotation) {
    bool has = true;
    std::int64_t at = 365 * kDay;
    rotated_expiry(&has, &at, rule(true, 30 * kDay, false));
    EXPECT_TRUE(has);
    EXPECT_EQ(at, 30 * kDay);
    has = false;
    rotated_expiry(&has, &at, rule(true, 30 * kDay, false));
    EXPECT_TRUE(has);
    EXPECT_EQ(at, 30 * kDay);
    has = false;
    rotated_expiry(&has, &at, rule(true, 30 * kDay, true));
    EXPECT_FALSE(has);
    has = false;
    EXPECT_THROW(rotated_expiry(&has, &at, rule(false, 0, false)), Error);
}
