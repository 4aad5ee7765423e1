// Policy statements and their evaluation, exactly as Hive's Session.assertPerformAction:
//
//  1. The action's level gives the resource chain: organization -> [organization/O];
//     project -> + project/P; target -> + target/T; service -> + target/T/service/S when a
//     service is given; appDeployment -> + target/T/appDeployment/A when an app is given.
//  2. A statement applies when one of its resources has organization part '*' or equal to the
//     organization in question, and a path matching an element of the chain (hrn.h).
//  3. Its actions match: '*', the action itself, or "<scope>:*" with the action's scope.
//  4. Any applicable matching deny rejects; else any applicable matching allow admits; else
//     reject, with Hive's message "Missing permission for performing '<action>' on resource".
//
// evaluate_reference() is the literal reference (the oracle of the unit tests, fuzz target and
// micro-benchmark); CompiledPolicy is the fast form, what SQL evaluate() and can() run, (action bitsets and
// sorted resource ids) that checks in well under a microsecond, tested to agree with it.
#pragma once
#include "core_guard.h"

#include <optional>
#include <string>
#include <vector>

#include "assignment.h"
#include "hrn.h"
#include "json.h"
#include "permission_catalog.h"
#include "scopes.h"

namespace hive_tokens::core {

struct Statement {
    bool deny = false;
    std::vector<std::string> actions;  // as written: "*", "<scope>:*" or a permission name
    std::vector<Hrn> resources;
    bool resource_is_array = true;  // Hive writes a single string for some statements
    bool action_is_array = true;
};

// Parses a JSON array of statements; every resource must be a valid HRN and every action '*',
// "<scope>:*" of a known scope, or a known permission (Hive does not check them; we do).
// Throws Error(InvalidParameterValue / InvalidTextRepresentation) naming the position.
std::vector<Statement> parse_statements(const json::Value& v, const PermissionCatalog& cat);
json::Value statements_to_json(const std::vector<Statement>& statements);

// Hive's resolveResourceAssignment + translateResolvedResourcesToAuthorizationPolicyStatements:
// one allow statement per level that has permissions, its resources the assignment's resources
// of that level ('*' inherits the parent), plus one deny statement ("*" actions) for the
// assignment's deny list (our extension).
std::vector<Statement> resolve(const Scopes& scopes, const Assignment& assignment, const Uuid& organization,
                               const PermissionCatalog& cat);

struct Request {
    const Permission* action = nullptr;  // must be in the catalog
    Uuid organization{};                 // the organization in question (HRN organization part)
    Uuid resource_organization{};        // organization/<id> in the chain (Hive's params.organizationId)
    std::optional<Uuid> project, target;
    std::optional<std::string> service, app_deployment;
};

// Builds a Request, checking that the ids the action's level needs are present
// (Error(InvalidParameterValue) otherwise) and, unless validate_names is false, that the names
// are valid. Without validation any string is matched as Hive matches it.
Request make_request(const Permission& action, const Uuid& organization, const Uuid* resource_organization,
                     const Uuid* project, const Uuid* target, const std::string* service, const std::string* app,
                     bool validate_names = true);

// The literal reference evaluator: Hive's algorithm step by step, slow and obviously right.
bool evaluate_reference(const std::vector<Statement>& statements, const Request& request);

// Hive's rejection message.
std::string denial_message(const std::string& action);

class CompiledPolicy {
public:
    CompiledPolicy() = default;
    CompiledPolicy(const std::vector<Statement>& statements, const PermissionCatalog& cat);
    bool check(const Request& request) const;

private:
    enum Kind : unsigned char { KOrganization, KProject, KTarget, KService, KAppDeployment };
    struct Exact {  // an exact resource: kind, organization part, id, name
        unsigned char kind;
        bool any_org;
        Uuid org;
        Uuid id;
        std::string name;
        bool operator<(const Exact& o) const;
    };
    struct Compiled {
        bool deny;
        Scopes actions;
        std::vector<Exact> exact;  // sorted
        std::vector<Hrn> patterns;  // wildcards and other shapes, matched the literal way
    };
    std::vector<Compiled> statements_;

    static bool has_exact(const std::vector<Exact>& v, unsigned char kind, bool any_org, const Uuid& org, const Uuid& id,
                          const std::string& name);
};

}  // namespace hive_tokens::core
