// Token lifecycle rules the verification path needs: an organization's expiry policy.
#pragma once
#include "../core/expiry.h"
#include "../core/uuid.h"
#include "pg_includes.h"

namespace hive_tokens::pg {

// The rule of an organization's expiry policy for a token created at created_at (its cap is
// created_at plus the maximum lifetime); false when the organization has no policy. Read from a
// per-backend copy of hive_tokens.expiry_policies, reloaded after any change commits (a trigger
// sends a relcache invalidation) and loaded with the latest snapshot.
bool expiry_rule(const core::Uuid& organization, TimestampTz created_at, core::ExpiryRule* rule);

}  // namespace hive_tokens::pg
