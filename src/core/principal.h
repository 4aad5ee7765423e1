// The authorization state of one principal (a token, or a member the application vouches for):
// its organization, permissions and resource assignment, compiled once (per transaction in the
// database) so that every check is a few binary searches.
//
// Besides can(), it answers the "sargable" questions row-level-security policies ask so the
// planner can use indexes (docs/rls.md): for an action, which organization is covered as a whole,
// which projects and targets are covered as a whole, which targets need a per-row check (their
// access depends on service or app names), and which projects and targets are denied. For every
// row (org, project, target, name) the formula
//
//   org == principal org
//   && (project in projects || target in targets || org == organization_wide || target in row_check_targets)
//   && (target not in row_check_targets || can(action, org, project, target, name))
//   && project not in denied_projects && target not in denied_targets
//
// equals can(action, org, project, target, name) for rows whose id columns are not NULL; unit
// tests check it on random grants.
#pragma once
#include "core_guard.h"

#include <optional>
#include <string>
#include <vector>

#include "assignment.h"
#include "permission_catalog.h"
#include "policy.h"
#include "scopes.h"

namespace hive_tokens::core {

class PrincipalPolicy {
public:
    PrincipalPolicy(const Uuid& organization, const Scopes& scopes, Assignment assignment, const PermissionCatalog& cat);

    const Uuid& organization() const noexcept { return organization_; }
    const Scopes& scopes() const noexcept { return scopes_; }
    const Assignment& assignment() const noexcept { return assignment_; }

    // Hive's evaluation for this principal. False (never an error) for another organization or
    // when an id the action's level needs is missing; names are matched as Hive matches them,
    // whatever they hold.
    bool can(const Permission& action, const Uuid& organization, const Uuid* project, const Uuid* target,
             const std::string* service, const std::string* app) const;

    struct Sets {
        std::optional<Uuid> organization_wide;  // every resource of this organization
        std::vector<Uuid> projects;             // sorted
        std::vector<Uuid> targets;              // sorted
        std::vector<Uuid> row_check_targets;    // sorted
        std::vector<Uuid> denied_projects;      // sorted; only for actions checked on a project or below
        std::vector<Uuid> denied_targets;       // sorted; only for actions checked on a target or below
    };
    Sets sets_for(const Permission& action) const;

private:
    Uuid organization_;
    Scopes scopes_;
    Assignment assignment_;
    CompiledPolicy compiled_;
};

}  // namespace hive_tokens::core
