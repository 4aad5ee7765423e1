// An organization's expiry policy: a maximum lifetime and whether tokens may never expire.
// Checked when a token is issued or rotated (check_new_expiry) and at every use
// (apply_expiry_rule): a token older than the maximum stops working even if it was issued
// before the policy.
//
// Times are microseconds on the caller's clock (PostgreSQL's TimestampTz). The maximum is a
// calendar interval ('6 months'), so the caller adds it to a time and passes the result (cap).
#pragma once
#include "core_guard.h"

#include <cstdint>
#include <string>

#include "verification.h"

namespace hive_tokens::core {

struct ExpiryRule {
    bool has_cap = false;      // a maximum lifetime is set
    std::int64_t cap = 0;      // created_at (or, for a new token, now) + the maximum lifetime
    bool allow_never = true;   // a token without an expiry is allowed (and exempt from the cap)
};

// The expiry a stored token has under its organization's rule: the earlier of its own and the
// cap; a token without one gets the cap unless "never" is allowed, and is expired at once when
// "never" is not allowed and there is no cap.
void apply_expiry_rule(StoredCredential* c, const ExpiryRule& rule) noexcept;

// For a new token (issue) with the rule's cap computed from now: throws InvalidParameterValue
// when the expiry breaks the rule. max_lifetime_text names the maximum in the message.
void check_new_expiry(bool has_expiry, std::int64_t expires_at, const ExpiryRule& rule,
                      const std::string& max_lifetime_text);

// For a replacement token (rotate): the expiry it gets, given the one it would inherit (the same
// lifetime from now), capped by the rule. Throws InvalidParameterValue when the rule forbids a
// token without an expiry and sets no cap to give it one.
void rotated_expiry(bool* has_expiry, std::int64_t* expires_at, const ExpiryRule& rule);

}  // namespace hive_tokens::core
