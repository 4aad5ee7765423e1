// No escalation: whether a grant (a token's permissions on its resources, in one organization)
// stays within its issuer's. Every request the grant allows, the issuer must allow too.
//
// Decided exactly over a finite set of representative requests. Grants treat alike every
// project (target, service or app name) they do not mention: can() gives the same answer for
// all of them. So it suffices to ask both grants about every project either mentions plus one
// they do not, every target either mentions plus one they do not, and for each target every
// name either mentions for it, one they do not, and none (a request naming no service or app).
// A target belongs to one project: it is asked with the projects a grant lists it under (a
// target named only in a deny list, and the one neither grant names, with every project), since
// no real request pairs a target with another project's id. The unit tests prove the answer
// equal to a brute-force check over a larger universe of such requests.
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
