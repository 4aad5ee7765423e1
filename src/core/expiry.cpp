#include "expiry.h"

#include <limits>

#include "error.h"

namespace hive_tokens::core {

void apply_expiry_rule(StoredCredential* c, const ExpiryRule& rule) noexcept {
    if (c->has_expiry) {
        if (rule.has_cap && rule.cap < c->expires_at) c->expires_at = rule.cap;
        return;
    }
    if (rule.allow_never) return;
    c->has_expiry = true;
    c->expires_at = rule.has_cap ? rule.cap : std::numeric_limits<std::int64_t>::min();
}

void check_new_expiry(bool has_expiry, std::int64_t expires_at, const ExpiryRule& rule,
                      const std::string& max_lifetime_text) {
    if (!has_expiry && !rule.allow_never)
        throw Error(ErrorKind::InvalidParameterValue, "the organization's policy requires tokens to expire",
                    rule.has_cap ? "Its tokens live at most " + max_lifetime_text + "." : "",
                    "Pass expires_at, for instance hive_tokens.expiry('1 month').");
    if (has_expiry && rule.has_cap && expires_at > rule.cap)
        throw Error(ErrorKind::InvalidParameterValue,
                    "the expiry is beyond the organization's maximum token lifetime of " + max_lifetime_text, "",
                    "Choose an expiry at most " + max_lifetime_text + " from now.");
}

void rotated_expiry(bool* has_expiry, std::int64_t* expires_at, const ExpiryRule& rule) {
    StoredCredential c;
    c.has_expiry = *has_expiry;
    c.expires_at = *expires_at;
    apply_expiry_rule(&c, rule);
    if (c.has_expiry && c.expires_at == std::numeric_limits<std::int64_t>::min())
        throw Error(ErrorKind::InvalidParameterValue,
                    "the organization's policy requires tokens to expire and sets no maximum lifetime",
                    "The token being rotated never expires; its replacement would not either.",
                    "Revoke it and issue a replacement with an expiry, or set a maximum lifetime.");
    *has_expiry = c.has_expiry;
    *expires_at = c.expires_at;
}

}  // namespace hive_tokens::core
