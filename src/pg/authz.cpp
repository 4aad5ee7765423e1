// SQL surface of the authorization engine (src/core/assignment.h, src/core/policy.h): resource
// assignments, Hive's policy statements and the evaluator.
//
// Entry points (schema hive_tokens unless noted):
//   normalize_resources(jsonb), intersect_resources(jsonb, jsonb),
//   policy_statements(scopes, jsonb, uuid), evaluate(jsonb, text, uuid, ...),
//   hive_tokens_internal.project_token_resources(jsonb, uuid)
#include <memory>
#include <string>

#include "../core/assignment.h"
#include "../core/error.h"
#include "../core/json.h"
#include "../core/policy.h"
#include "call_site.h"
#include "guard.h"
#include "jsonb_value.h"
#include "permission_cache.h"
#include "scopes_type.h"
#include "uuid_datum.h"

extern "C" {
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;
namespace pg = hive_tokens::pg;

namespace {

core::Uuid uuid_arg(FunctionCallInfo fcinfo, int n) { return pg::uuid_from_datum(PG_GETARG_DATUM(n)); }

}  // namespace

// ---- resource assignments and statements ---------------------------------------------------

HT_FUNCTION(normalize_resources) {
    core::json::Value v = core::to_json(core::parse_assignment(pg::jsonb_value(PG_GETARG_JSONB_P(0))));
    PG_RETURN_DATUM(pg::jsonb_datum(v));
}

// _project_token_resources(resources jsonb, project uuid) -> jsonb: what issue() stores for a
// project token (core::project_token_grant).
HT_FUNCTION(project_token_resources) {
    Jsonb* resources = PG_GETARG_JSONB_P(0);
    core::Uuid project = uuid_arg(fcinfo, 1);
    PG_RETURN_DATUM(pg::jsonb_datum(core::to_json(core::project_token_grant(core::parse_assignment(pg::jsonb_value(resources)), project))));
}

HT_FUNCTION(intersect_resources) {
    Jsonb* ja = PG_GETARG_JSONB_P(0);
    Jsonb* jb = PG_GETARG_JSONB_P(1);
    core::Assignment a = core::parse_assignment(pg::jsonb_value(ja));
    core::Assignment b = core::parse_assignment(pg::jsonb_value(jb));
    PG_RETURN_DATUM(pg::jsonb_datum(core::to_json(core::intersect(a, b))));
}

// policy_statements(scopes, resources jsonb, organization uuid) -> jsonb
HT_FUNCTION(policy_statements) {
    const core::Scopes scopes = *pg::scopes_arg(fcinfo, 0);
    Jsonb* resources = PG_GETARG_JSONB_P(1);
    core::Assignment a = core::parse_assignment(pg::jsonb_value(resources));
    core::Uuid org = uuid_arg(fcinfo, 2);
    PG_RETURN_DATUM(pg::jsonb_datum(core::statements_to_json(core::resolve(scopes, a, org, pg::current_catalog()))));
}

namespace {

// Statements compiled once per call site and jsonb value (and catalog generation).
struct EvalCache {
    unsigned long generation = 0;
    std::string raw;  // the jsonb datum's bytes: compared as is, no text conversion per call
    std::unique_ptr<core::CompiledPolicy> policy;
};

const core::CompiledPolicy& compiled_statements(FunctionCallInfo fcinfo, Jsonb* jb, const core::PermissionCatalog& cat) {
    EvalCache* cache = &pg::call_site_state<EvalCache>(fcinfo);
    const char* bytes = reinterpret_cast<const char*>(jb);
    const std::size_t len = VARSIZE(jb);
    if (!cache->policy || cache->generation != pg::catalog_generation() || cache->raw.size() != len ||
        memcmp(cache->raw.data(), bytes, len) != 0) {
        cache->policy.reset();
        cache->policy = std::make_unique<core::CompiledPolicy>(core::parse_statements(pg::jsonb_value(jb), cat), cat);
        cache->raw.assign(bytes, len);
        cache->generation = pg::catalog_generation();
    }
    return *cache->policy;
}

}  // namespace

// evaluate(statements jsonb, action text, organization uuid, project uuid, target uuid,
//          service text, app_deployment text, resource_organization uuid) -> boolean
HT_FUNCTION(evaluate) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
    // Every argument is fetched (and detoasted) before any C++ object exists.
    Jsonb* statements = PG_GETARG_JSONB_P(0);
    text* action_t = PG_GETARG_TEXT_PP(1);
    text* service_t = PG_ARGISNULL(5) ? nullptr : PG_GETARG_TEXT_PP(5);
    text* app_t = PG_ARGISNULL(6) ? nullptr : PG_GETARG_TEXT_PP(6);
    const core::PermissionCatalog& cat = pg::current_catalog();
    const core::Permission* p = &hive_tokens::pg::find_action(
        std::string_view(VARDATA_ANY(action_t), VARSIZE_ANY_EXHDR(action_t)));
    core::Uuid org = uuid_arg(fcinfo, 2), project{}, target{}, resource_org{};
    if (!PG_ARGISNULL(3)) project = uuid_arg(fcinfo, 3);
    if (!PG_ARGISNULL(4)) target = uuid_arg(fcinfo, 4);
    if (!PG_ARGISNULL(7)) resource_org = uuid_arg(fcinfo, 7);
    std::string service = service_t ? std::string(VARDATA_ANY(service_t), VARSIZE_ANY_EXHDR(service_t)) : std::string();
    std::string app = app_t ? std::string(VARDATA_ANY(app_t), VARSIZE_ANY_EXHDR(app_t)) : std::string();
    core::Request r = core::make_request(*p, org, PG_ARGISNULL(7) ? nullptr : &resource_org,
                                         PG_ARGISNULL(3) ? nullptr : &project, PG_ARGISNULL(4) ? nullptr : &target,
                                         PG_ARGISNULL(5) ? nullptr : &service, PG_ARGISNULL(6) ? nullptr : &app);
    PG_RETURN_BOOL(compiled_statements(fcinfo, statements, cat).check(r));
}
