// The principal of the current transaction: set by authenticate() (a token) or act_as_member()
// (a member vouched for by the application's trusted role), read by can(), assert_can(), the
// current_*() accessors and the row-level-security helpers.
//
// It lives in this backend's memory only (no GUC, nothing SET or set_config can reach) and is
// dropped at COMMIT, ROLLBACK and PREPARE TRANSACTION, so it never reaches the next transaction
// (the next client of a pooled connection). Inside a subtransaction, a principal set there is
// undone when the subtransaction rolls back (ROLLBACK TO SAVEPOINT, an exception block).
#include <memory>
#include <string>
#include <vector>

#include "../core/assignment.h"
#include "../core/error.h"
#include "../core/principal.h"
#include "guard.h"
#include "permission_cache.h"
#include "principal.h"
#include "scopes_type.h"
#include "token_store.h"
#include "uuid_datum.h"

extern "C" {
#include "access/xact.h"
#include "utils/portal.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::current_catalog;
using hive_tokens::pg::pg_call;

namespace {

struct State {
    bool is_token;
    core::Uuid token_id;
    core::PrincipalPolicy policy;
};

std::shared_ptr<const State> g_current;
unsigned long g_serial = 1;  // changes whenever the principal does; keys the RLS helper caches
struct Saved {
    SubTransactionId subxact;
    std::shared_ptr<const State> previous;
};
std::vector<Saved> g_saved;

void clear_principal() noexcept {
    g_current.reset();
    g_saved.clear();
    ++g_serial;
}

void xact_callback(XactEvent event, void*) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
        case XACT_EVENT_PREPARE:
            clear_principal();
            break;
        default:
            break;
    }
}

void subxact_callback(SubXactEvent event, SubTransactionId mine, SubTransactionId parent, void*) {
    if (event == SUBXACT_EVENT_ABORT_SUB) {
        // undo every principal set inside the aborted subtransaction, oldest last
        while (!g_saved.empty() && g_saved.back().subxact == mine) {
            g_current = g_saved.back().previous;
            g_saved.pop_back();
            ++g_serial;
        }
    } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
        // what the committed subtransaction set now belongs to its parent
        for (Saved& s : g_saved)
            if (s.subxact == mine) s.subxact = parent;
        if (parent == TopSubTransactionId)
            while (!g_saved.empty() && g_saved.back().subxact == TopSubTransactionId) g_saved.pop_back();
    }
}

// A transaction has one principal. It cannot be replaced (only undone by rolling back the
// savepoint that set it), and it cannot be set while a cursor is open: a query that has begun
// computes parts of its row-level-security conditions once (initPlans) and the rest per row, and
// must never mix two principals.
void check_can_set_principal() {
    if (!IsTransactionState())
        throw core::Error(core::ErrorKind::InvalidTransactionState, "a principal can only be set inside a transaction");
    if (g_current)
        throw core::Error(core::ErrorKind::InvalidTransactionState, "this transaction already has a principal",
                          "A transaction has one principal; it ends with the transaction.",
                          "Use a new transaction for another token or member.");
    if (!ThereAreNoReadyPortals())
        throw core::Error(core::ErrorKind::InvalidTransactionState, "cannot set a principal while a cursor is open",
                          "", "Set the principal first, then open cursors.");
}

void set_principal(std::shared_ptr<const State> next) {
    SubTransactionId sub = GetCurrentSubTransactionId();
    if (sub != TopSubTransactionId) g_saved.push_back(Saved{sub, g_current});
    g_current = std::move(next);
    ++g_serial;
}

using hive_tokens::pg::uuid_from_datum;
using hive_tokens::pg::uuid_to_datum;

const core::Permission& action_arg(text* t) {
    return hive_tokens::pg::find_action(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

// can() runs once per row in row-level-security policies: each call site keeps its action's bit
// (re-resolved when the catalog changes) instead of looking the name up every time.
struct ActionCache {
    unsigned long generation;
    std::size_t len;
    int bit;
    char name[64];
};

const core::Permission& cached_action(FunctionCallInfo fcinfo, text* t) {
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    auto* c = static_cast<ActionCache*>(fcinfo->flinfo->fn_extra);
    const core::PermissionCatalog& cat = current_catalog();
    if (c && c->generation == hive_tokens::pg::catalog_generation() && c->len == len &&
        memcmp(c->name, VARDATA_ANY(t), len) == 0)
        if (const core::Permission* p = cat.at(c->bit)) return *p;
    const core::Permission& p = action_arg(t);
    if (len <= sizeof c->name) {
        if (c == nullptr) {
            pg_call([&]() noexcept {
                c = static_cast<ActionCache*>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ActionCache)));
            });
            fcinfo->flinfo->fn_extra = c;
        }
        c->generation = hive_tokens::pg::catalog_generation();
        c->len = len;
        c->bit = p.bit;
        memcpy(c->name, VARDATA_ANY(t), len);
    }
    return p;
}

// can()'s arguments, fetched before any C++ object exists (guard.h).
struct CheckArgs {
    text* action;
    bool has_org, has_project, has_target;
    core::Uuid org, project, target;
    text* service;
    text* app;
};

CheckArgs check_args(FunctionCallInfo fcinfo) {
    CheckArgs a{};
    a.action = PG_GETARG_TEXT_PP(0);
    a.has_org = !PG_ARGISNULL(1);
    a.has_project = !PG_ARGISNULL(2);
    a.has_target = !PG_ARGISNULL(3);
    if (a.has_org) a.org = uuid_from_datum(PG_GETARG_DATUM(1));
    if (a.has_project) a.project = uuid_from_datum(PG_GETARG_DATUM(2));
    if (a.has_target) a.target = uuid_from_datum(PG_GETARG_DATUM(3));
    a.service = PG_ARGISNULL(4) ? nullptr : PG_GETARG_TEXT_PP(4);
    a.app = PG_ARGISNULL(5) ? nullptr : PG_GETARG_TEXT_PP(5);
    return a;
}

bool check(FunctionCallInfo fcinfo, const CheckArgs& a) {
    const core::Permission& action = cached_action(fcinfo, a.action);
    if (!g_current || !a.has_org) return false;
    // Names are compared as Hive compares them, whatever they hold: a row-level-security policy
    // and can() must agree on every row, including rows with odd names.
    std::string service, app;
    if (a.service) service.assign(VARDATA_ANY(a.service), VARSIZE_ANY_EXHDR(a.service));
    if (a.app) app.assign(VARDATA_ANY(a.app), VARSIZE_ANY_EXHDR(a.app));
    return g_current->policy.can(action, a.org, a.has_project ? &a.project : nullptr, a.has_target ? &a.target : nullptr,
                                 a.service ? &service : nullptr, a.app ? &app : nullptr);
}

}  // namespace

void hive_tokens::pg::register_principal_callbacks() {
    RegisterXactCallback(xact_callback, nullptr);
    RegisterSubXactCallback(subxact_callback, nullptr);
}

// authenticate(token text) -> uuid: verifies and makes the token the principal of this
// transaction. 28000 for anything that is not a live token; the token never appears in it.
HT_FUNCTION(hive_tokens_authenticate) {
    check_can_set_principal();
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                        errdetail("The token is missing (NULL).")));
    text* t = PG_GETARG_TEXT_PP(0);
    hive_tokens::pg::TokenRow row;
    const char* reason = hive_tokens::pg::lookup_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &row);
    if (reason != nullptr)
        ereport(ERROR, (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                        errdetail("The token is %s.", strcmp(reason, "checksum") == 0 ? "mistyped (checksum)" : reason),
                        errhidestmt(true)));
    {
        const core::PermissionCatalog& cat = current_catalog();
        core::Assignment assignment = core::parse_assignment(std::string_view(row.resources_json));
        if (strcmp(row.kind, "project") == 0 && row.has_project) {
            // Hive forces a project token's resources to its one project.
            core::Assignment only;
            only.all = false;
            core::ProjectAssignment p;
            p.id = row.project;
            only.projects.push_back(p);
            assignment = core::intersect(assignment, only);
        }
        set_principal(std::make_shared<const State>(
            State{true, row.id, core::PrincipalPolicy(row.organization, row.scopes, std::move(assignment), cat)}));
    }  // no C++ object outlives this block: what follows may raise a PostgreSQL error
    PG_RETURN_DATUM(uuid_to_datum(row.id));
}

// act_as_member(organization uuid, scopes, resources jsonb) -> void: a member principal, for the
// application's trusted role only (EXECUTE is revoked from PUBLIC).
HT_FUNCTION(hive_tokens_act_as_member) {
    check_can_set_principal();
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("organization and scopes must not be null")));
    core::Uuid org = uuid_from_datum(PG_GETARG_DATUM(0));
    const core::Scopes scopes = *hive_tokens::pg::scopes_arg(fcinfo, 1);
    char* json = nullptr;
    if (!PG_ARGISNULL(2)) {
        Jsonb* jb = PG_GETARG_JSONB_P(2);
        json = JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
    }
    {
        const core::PermissionCatalog& cat = current_catalog();
        core::Assignment assignment = json ? core::parse_assignment(std::string_view(json)) : core::Assignment::everything();
        set_principal(std::make_shared<const State>(
            State{false, core::Uuid{}, core::PrincipalPolicy(org, scopes, std::move(assignment), cat)}));
    }
    PG_RETURN_VOID();
}

HT_FUNCTION(hive_tokens_current_token_id) {
    if (!g_current || !g_current->is_token) PG_RETURN_NULL();
    PG_RETURN_DATUM(uuid_to_datum(g_current->token_id));
}

HT_FUNCTION(hive_tokens_current_organization_id) {
    if (!g_current) PG_RETURN_NULL();
    PG_RETURN_DATUM(uuid_to_datum(g_current->policy.organization()));
}

HT_FUNCTION(hive_tokens_current_scopes) {
    if (!g_current) PG_RETURN_NULL();
    PG_RETURN_DATUM(hive_tokens::pg::scopes_datum(g_current->policy.scopes()));
}

HT_FUNCTION(hive_tokens_current_principal_kind) {
    if (!g_current) PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text(g_current->is_token ? "token" : "member"));
}

// can(action, organization, project, target, service, app_deployment) -> boolean
HT_FUNCTION(hive_tokens_can) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    PG_RETURN_BOOL(check(fcinfo, check_args(fcinfo)));
}

// assert_can(...) -> void: 42501 with Hive's message unless can() is true.
HT_FUNCTION(hive_tokens_assert_can) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("action must not be null")));
    CheckArgs a = check_args(fcinfo);
    if (check(fcinfo, a)) PG_RETURN_VOID();
    bool anonymous = !g_current;
    char buf[512];
    strlcpy(buf, core::denial_message(action_arg(a.action).name).c_str(), sizeof buf);  // temporary gone at ';'
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", buf),
                    anonymous ? errhint("No principal: call hive_tokens.authenticate() first in this transaction.") : 0));
    PG_RETURN_VOID();
}

// ---- sets for row-level-security policies (docs/rls.md) --------------------------------------
//
// Policies call these once per query (as initPlans) or, where the planner should see the values
// to pick an index, as plain STABLE calls that may be evaluated per row: so each call site keeps
// the answer for the current principal and action, computed once.

namespace {

struct SetsCache {
    unsigned long serial;
    char action[128];
    bool has_org;
    Datum org;
    Datum arrays[5];  // projects, targets, row_check_targets, denied_projects, denied_targets
};

const SetsCache& sets_cache(FunctionCallInfo fcinfo) {
    text* t = PG_GETARG_TEXT_PP(0);
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    auto* c = static_cast<SetsCache*>(fcinfo->flinfo->fn_extra);
    if (c && c->serial == g_serial && len < sizeof c->action && strlen(c->action) == len &&
        memcmp(c->action, VARDATA_ANY(t), len) == 0)
        return *c;
    const core::Permission& action = action_arg(t);
    core::PrincipalPolicy::Sets sets = g_current ? g_current->policy.sets_for(action) : core::PrincipalPolicy::Sets{};
    // Everything PostgreSQL allocates happens inside pg_call (sets is a C++ object); the cache is
    // published only when complete, its serial last. Arrays handed out earlier are not freed: the
    // executor may still hold them (they live as long as the call site).
    SetsCache fresh{};
    pg_call([&]() noexcept {
        MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
        if (c == nullptr) c = static_cast<SetsCache*>(palloc0(sizeof(SetsCache)));
        fresh.has_org = sets.organization_wide.has_value();
        if (fresh.has_org) fresh.org = uuid_to_datum(*sets.organization_wide);
        const std::vector<core::Uuid>* lists[5] = {&sets.projects, &sets.targets, &sets.row_check_targets,
                                                   &sets.denied_projects, &sets.denied_targets};
        for (int i = 0; i < 5; ++i) {
            const std::vector<core::Uuid>& ids = *lists[i];
            Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (ids.empty() ? 1 : ids.size())));
            for (std::size_t k = 0; k < ids.size(); ++k) elems[k] = uuid_to_datum(ids[k]);
            fresh.arrays[i] = PointerGetDatum(
                construct_array(elems, static_cast<int>(ids.size()), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
        }
        MemoryContextSwitchTo(old);
    });
    if (len < sizeof fresh.action) {
        memcpy(fresh.action, VARDATA_ANY(t), len);
        fresh.action[len] = '\0';
        fresh.serial = g_serial;
    } else {
        fresh.serial = 0;  // too long to key the cache: recomputed on every call
    }
    *c = fresh;
    fcinfo->flinfo->fn_extra = c;
    return *c;
}

}  // namespace

HT_FUNCTION(hive_tokens_organization_wide) {
    const SetsCache& c = sets_cache(fcinfo);
    if (!c.has_org) PG_RETURN_NULL();
    PG_RETURN_DATUM(c.org);
}

HT_FUNCTION(hive_tokens_allowed_projects) { PG_RETURN_DATUM(sets_cache(fcinfo).arrays[0]); }
HT_FUNCTION(hive_tokens_allowed_targets) { PG_RETURN_DATUM(sets_cache(fcinfo).arrays[1]); }
HT_FUNCTION(hive_tokens_row_check_targets) { PG_RETURN_DATUM(sets_cache(fcinfo).arrays[2]); }
HT_FUNCTION(hive_tokens_denied_projects) { PG_RETURN_DATUM(sets_cache(fcinfo).arrays[3]); }
HT_FUNCTION(hive_tokens_denied_targets) { PG_RETURN_DATUM(sets_cache(fcinfo).arrays[4]); }
