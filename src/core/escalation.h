// No escalation: whether a grant (a token's permissions on its resources, in one organization)
// stays within its issuer's. Every request the grant allows, the issuer must allow too.
//
// Decided exactly over a finite set of representative requests. Grants treat alike every
// project (target, service or app name) they do not mention: can() gives the same answer for
// all of them. So it suffices to ask both grants about every project either mentions plus one
// they do not, every target either mentions plus one they do not, and for each target every
// name either mentions for it, one they do not, and none (a request naming no service or app).
// Project and target are asked in every combination (a target grant applies whatever project a
// request names, as in Hive). The unit tests prove the answer equal to a brute-force check over
// a larger universe.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <string>
#include <vector>

#include "permission_catalog.h"
#include "principal.h"

namespace hive_tokens::core {

// One request the grant allows and the issuer does not, in words ("usage:report on target
// <id> of project <id>", "on a project not named in either grant").
struct Excess {
    std::string permission;
    std::string resource;
};

// The requests `grant` allows beyond `issuer` (at most `limit`, in catalog order); empty when it
// stays within. Both must be of the same organization. Throws Error(LimitExceeded) when the
// grants mention so many resources that the check would run over `max_requests`.
std::vector<Excess> excess(const PrincipalPolicy& issuer, const PrincipalPolicy& grant, const PermissionCatalog& cat,
                           std::size_t limit = 5, std::size_t max_requests = 2000000);

}  // namespace hive_tokens::core
