// Refused management in the audit log (docs/managing.md, "The audit log").
#pragma once
#include <string>

#include "../core/uuid.h"

namespace hive_tokens::pg {

struct RefusalActor {
    int kind;  // 0 a role without a principal, 1 a token, 2 a member
    bool has_organization;
    core::Uuid organization;
    bool has_token;
    core::Uuid token;
    bool has_user;
    core::Uuid user;
};

// Records a refused management call (what was refused, why) as a "refused" audit event. The
// refusal's error rolls back the caller's transaction, so the event is written by a background
// worker in a transaction of its own. Never raises; at most one worker per backend is in flight
// (refusals meanwhile are counted into the next event); nothing on a hot standby or before the
// audit log exists.
void record_refusal(const RefusalActor& actor, const std::string& action, const std::string& reason) noexcept;

}  // namespace hive_tokens::pg
