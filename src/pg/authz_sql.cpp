// SQL surface of the authorization engine: type hive_tokens.hrn, resource assignments,
// Hive's policy statements and the evaluator (src/core/policy.h).
#include <memory>
#include <string>

#include "../core/assignment.h"
#include "../core/error.h"
#include "../core/hrn.h"
#include "../core/json.h"
#include "../core/policy.h"
#include "guard.h"
#include "jsonb_text.h"
#include "permission_cache.h"
#include "scopes_type.h"
#include "uuid_datum.h"

extern "C" {
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::current_catalog;
using hive_tokens::pg::jsonb_text;
using hive_tokens::pg::pg_call;

namespace {

core::Uuid uuid_arg(FunctionCallInfo fcinfo, int n) { return hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(n)); }

Datum jsonb_datum(const core::json::Value& v) {
    std::string text = core::json::to_string(v);
    Datum d = 0;
    pg_call([&]() noexcept { d = DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str())); });
    return d;
}

text* hrn_text(const core::Hrn& h) {
    std::string s = h.text();
    text* t = nullptr;
    pg_call([&]() noexcept { t = cstring_to_text_with_len(s.data(), static_cast<int>(s.size())); });
    return t;
}

core::Hrn hrn_of(text* t) { return core::parse_hrn(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))); }

int hrn_compare(FunctionCallInfo fcinfo) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    std::size_t la = VARSIZE_ANY_EXHDR(a), lb = VARSIZE_ANY_EXHDR(b);
    int c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), la < lb ? la : lb);
    if (c != 0) return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb ? 1 : 0;
}

}  // namespace

// ---- type hrn: stored as its canonical text ------------------------------------------------

HT_FUNCTION(hrn_in) { PG_RETURN_TEXT_P(hrn_text(core::parse_hrn(PG_GETARG_CSTRING(0)))); }

HT_FUNCTION(hrn_out) { PG_RETURN_CSTRING(text_to_cstring(PG_GETARG_TEXT_PP(0))); }

HT_FUNCTION(hrn_recv) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    if (static_cast<std::size_t>(buf->len - buf->cursor) > core::kMaxHrnBytes)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid resource name: longer than %zu bytes", core::kMaxHrnBytes)));
    int n = 0;
    char* s = pq_getmsgtext(buf, buf->len - buf->cursor, &n);
    PG_RETURN_TEXT_P(hrn_text(core::parse_hrn(std::string_view(s, static_cast<std::size_t>(n)))));
}

HT_FUNCTION(hrn_send) {
    text* t = PG_GETARG_TEXT_PP(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendtext(&buf, VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t)));
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

HT_FUNCTION(hrn_eq) { PG_RETURN_BOOL(hrn_compare(fcinfo) == 0); }
HT_FUNCTION(hrn_ne) { PG_RETURN_BOOL(hrn_compare(fcinfo) != 0); }
HT_FUNCTION(hrn_lt) { PG_RETURN_BOOL(hrn_compare(fcinfo) < 0); }
HT_FUNCTION(hrn_le) { PG_RETURN_BOOL(hrn_compare(fcinfo) <= 0); }
HT_FUNCTION(hrn_gt) { PG_RETURN_BOOL(hrn_compare(fcinfo) > 0); }
HT_FUNCTION(hrn_ge) { PG_RETURN_BOOL(hrn_compare(fcinfo) >= 0); }
HT_FUNCTION(hrn_cmp) { PG_RETURN_INT32(hrn_compare(fcinfo)); }

HT_FUNCTION(hrn_hash) {
    text* t = PG_GETARG_TEXT_PP(0);
    return hash_any(reinterpret_cast<const unsigned char*>(VARDATA_ANY(t)), static_cast<int>(VARSIZE_ANY_EXHDR(t)));
}

HT_FUNCTION(hrn_hash_extended) {
    text* t = PG_GETARG_TEXT_PP(0);
    return hash_any_extended(reinterpret_cast<const unsigned char*>(VARDATA_ANY(t)),
                             static_cast<int>(VARSIZE_ANY_EXHDR(t)), PG_GETARG_INT64(1));
}

// pattern @> resource: Hive's match (organization part '*' or equal, path segments).
// (Arguments are detoasted before any C++ object exists: see guard.h.)
HT_FUNCTION(hrn_covers) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    PG_RETURN_BOOL(core::hrn_matches(hrn_of(a), hrn_of(b)));
}

HT_FUNCTION(hrn_covered_by) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    PG_RETURN_BOOL(core::hrn_matches(hrn_of(b), hrn_of(a)));
}

// ---- resource assignments and statements ---------------------------------------------------

HT_FUNCTION(hive_tokens_normalize_resources) {
    std::string text = jsonb_text(PG_GETARG_JSONB_P(0));
    core::json::Value v = core::to_json(core::parse_assignment(text));
    PG_RETURN_DATUM(jsonb_datum(v));
}

// _project_token_resources(resources jsonb, project uuid) -> jsonb: what issue() stores for a
// project token (core::project_token_grant).
HT_FUNCTION(project_token_resources) {
    std::string text = jsonb_text(PG_GETARG_JSONB_P(0));
    core::Uuid project = uuid_arg(fcinfo, 1);
    PG_RETURN_DATUM(jsonb_datum(core::to_json(core::project_token_grant(core::parse_assignment(text), project))));
}

HT_FUNCTION(hive_tokens_intersect_resources) {
    Jsonb* ja = PG_GETARG_JSONB_P(0);
    Jsonb* jb = PG_GETARG_JSONB_P(1);
    core::Assignment a = core::parse_assignment(jsonb_text(ja));
    core::Assignment b = core::parse_assignment(jsonb_text(jb));
    PG_RETURN_DATUM(jsonb_datum(core::to_json(core::intersect(a, b))));
}

// policy_statements(scopes, resources jsonb, organization uuid) -> jsonb
HT_FUNCTION(hive_tokens_policy_statements) {
    const core::Scopes scopes = *hive_tokens::pg::scopes_arg(fcinfo, 0);
    Jsonb* resources = PG_GETARG_JSONB_P(1);
    core::Assignment a = core::parse_assignment(jsonb_text(resources));
    core::Uuid org = uuid_arg(fcinfo, 2);
    PG_RETURN_DATUM(jsonb_datum(core::statements_to_json(core::resolve(scopes, a, org, current_catalog()))));
}

namespace {

// Statements compiled once per call site and jsonb value (and catalog generation).
struct EvalCache {
    unsigned long generation = 0;
    std::string raw;  // the jsonb datum's bytes: compared as is, no text conversion per call
    std::unique_ptr<core::CompiledPolicy> policy;
};

void free_eval_cache(void* arg) { delete static_cast<EvalCache*>(arg); }

const core::CompiledPolicy& compiled_statements(FunctionCallInfo fcinfo, Jsonb* jb, const core::PermissionCatalog& cat) {
    auto* cache = static_cast<EvalCache*>(fcinfo->flinfo->fn_extra);
    if (cache == nullptr) {
        // freed with the memory context that owns the call site
        MemoryContextCallback* cb = nullptr;
        pg_call([&]() noexcept {
            cb = static_cast<MemoryContextCallback*>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(MemoryContextCallback)));
        });
        cache = new EvalCache();
        cb->func = free_eval_cache;
        cb->arg = cache;
        MemoryContextRegisterResetCallback(fcinfo->flinfo->fn_mcxt, cb);
        fcinfo->flinfo->fn_extra = cache;
    }
    const char* bytes = reinterpret_cast<const char*>(jb);
    const std::size_t len = VARSIZE(jb);
    if (!cache->policy || cache->generation != hive_tokens::pg::catalog_generation() || cache->raw.size() != len ||
        memcmp(cache->raw.data(), bytes, len) != 0) {
        cache->policy.reset();
        cache->policy = std::make_unique<core::CompiledPolicy>(core::parse_statements(jsonb_text(jb), cat), cat);
        cache->raw.assign(bytes, len);
        cache->generation = hive_tokens::pg::catalog_generation();
    }
    return *cache->policy;
}

}  // namespace

// evaluate(statements jsonb, action text, organization uuid, project uuid, target uuid,
//          service text, app_deployment text, resource_organization uuid) -> boolean
HT_FUNCTION(hive_tokens_evaluate) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
    // Every argument is fetched (and detoasted) before any C++ object exists.
    Jsonb* statements = PG_GETARG_JSONB_P(0);
    text* action_t = PG_GETARG_TEXT_PP(1);
    text* service_t = PG_ARGISNULL(5) ? nullptr : PG_GETARG_TEXT_PP(5);
    text* app_t = PG_ARGISNULL(6) ? nullptr : PG_GETARG_TEXT_PP(6);
    const core::PermissionCatalog& cat = current_catalog();
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
