// The principal of the current transaction: set by authenticate() (a token) or act_as_member()
// (a member vouched for by the application's trusted role), read by can(), assert_can(), the
// current_*() accessors and the row-level-security helpers.
//
// It lives in this backend's memory only (no GUC, nothing SET or set_config can reach) and is
// dropped at COMMIT, ROLLBACK and PREPARE TRANSACTION, so it never reaches the next transaction
// (the next client of a pooled connection). A transaction has at most one principal, ever: a
// principal set inside a subtransaction that rolls back is dropped with it, and the transaction
// can take no other. Every answer a call site caches remembers the principal it was computed for
// and is never used for another.
//
// Entry points (hive_tokens): authenticate, try_authenticate, act_as_member, current_token_id,
// current_organization_id, current_scopes, current_principal_kind, can, assert_can, authorize,
// organization_wide, allowed_projects, allowed_targets, row_check_targets, denied_projects,
// denied_targets.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../core/assignment.h"
#include "../core/error.h"
#include "../core/escalation.h"
#include "../core/principal.h"
#include "call_site.h"
#include "caller.h"
#include "guard.h"
#include "jsonb_value.h"
#include "permission_cache.h"
#include "principal.h"
#include "refusal_audit.h"
#include "scopes_type.h"
#include "session_state.h"
#include "ticket.h"
#include "token_store.h"
#include "uuid_datum.h"

extern "C" {
#include "access/xact.h"
#include "access/parallel.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/acl.h"
#include "utils/memutils.h"
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
    bool has_user;      // a personal token's user, or the member's when act_as_member() names it
    core::Uuid user_id;
    core::PrincipalPolicy policy;
    bool from_ticket = false;          // taken from a Citus coordinator's ticket (ticket.h)
    unsigned long ticket_version = 0;  // the hive_tokens.ticket assignment it was taken from
};

// The principal of the current transaction, and what identifies it for the caches that call
// sites keep (fn_extra): a cached answer is valid for one transaction (g_xact) and one principal
// state within it (g_state). A transaction goes at most once from "no principal" to a principal
// and, if the subtransaction that set it rolls back, to "had one": it can never take another.
std::shared_ptr<const State> g_current;
bool g_had_principal = false;                              // set once in this transaction, ever
SubTransactionId g_set_in = InvalidSubTransactionId;       // the subtransaction that owns g_current
unsigned long g_xact = 1;                                  // changes at every transaction end
unsigned long g_state = 1;                                 // changes whenever the principal does
unsigned long g_ticket_tried = 0;                          // the ticket assignment last tried (ticket_version())

void end_of_transaction() noexcept {
    g_current.reset();
    g_had_principal = false;
    g_set_in = InvalidSubTransactionId;
    g_ticket_tried = 0;
    ++g_xact;
    ++g_state;
}

void xact_callback(XactEvent event, void*) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
        case XACT_EVENT_PREPARE:
            end_of_transaction();
            break;
        default:
            break;
    }
}

void subxact_callback(SubXactEvent event, SubTransactionId mine, SubTransactionId parent, void*) {
    if (!g_current || g_set_in != mine) return;
    if (event == SUBXACT_EVENT_ABORT_SUB) {
        // The principal goes with the subtransaction that set it; the transaction stays marked
        // (g_had_principal), so no other principal can follow.
        g_current.reset();
        g_set_in = InvalidSubTransactionId;
        ++g_state;
    } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
        g_set_in = parent;  // now its parent's
    }
}

// Outside a transaction block each statement sent with the simple query protocol is a transaction
// of its own: a principal set by the client's own statement would end with it, before anything
// could use it. Inside a function (a PL/pgSQL or SQL function, a DO block), the same statement may
// go on to use it: a function pushes an error context callback, the client's own statement has
// none. Under the extended query protocol (an Execute message pushes ParamsErrorCallback) the
// transaction lasts until the client's Sync, so a pipeline of Execute messages shares it: allowed.
bool called_by_the_clients_own_statement() noexcept {
    return error_context_stack == nullptr;
}

// A transaction has at most one principal, ever: it cannot be replaced, nor followed by another
// after a rollback to a savepoint, nor set in a parallel worker (whose state the leader never
// sees). A query that began without a principal may meet one set later in it: every helper is
// NULL without a principal, so what it computed before can only reject rows.
void check_can_set_principal(const char* function) {
    if (!IsTransactionState())
        throw core::Error(core::ErrorKind::InvalidTransactionState, "a principal can only be set inside a transaction");
    if (IsParallelWorker() || IsInParallelMode())
        throw core::Error(core::ErrorKind::InvalidTransactionState,
                          std::string("cannot call ") + function + "() in a parallel query",
                          "A parallel worker's principal would be its own, apart from the transaction's.",
                          "Declare functions that set a principal PARALLEL UNSAFE.");
    if (!IsTransactionBlock() && called_by_the_clients_own_statement())
        throw core::Error(core::ErrorKind::InvalidTransactionState,
                          std::string(function) + "() can only be used in a transaction block",
                          "Outside BEGIN ... COMMIT each statement is its own transaction: the principal would end "
                          "with this statement.",
                          std::string("Run BEGIN, then ") + function +
                              "(), then the statements it governs, then COMMIT.");
    // code run for another role on this session's behalf (a view read as its owner, a
    // materialized view refreshed, an index expression) must not choose the transaction's principal
    if (InSecurityRestrictedOperation())
        throw core::Error(core::ErrorKind::InsufficientPrivilege,
                          std::string("cannot call ") + function + "() in a security-restricted operation",
                          "The principal belongs to the transaction's own statements, not to code run on its behalf "
                          "as another role.");
    if (g_current)
        throw core::Error(core::ErrorKind::InvalidTransactionState, "this transaction already has a principal",
                          "A transaction has one principal; it ends with the transaction.",
                          "Use a new transaction for another token or member.");
    if (g_had_principal)
        throw core::Error(core::ErrorKind::InvalidTransactionState, "this transaction already had a principal",
                          "The principal was set in a subtransaction that rolled back; a transaction has at most one "
                          "principal, ever.",
                          "Use a new transaction.");
    hive_tokens::pg::check_session_holds_nothing(function);
}

void set_principal(std::shared_ptr<const State> next) noexcept {
    g_current = std::move(next);
    g_had_principal = true;
    g_set_in = GetCurrentSubTransactionId();
    ++g_state;
}

// The transaction's principal. On a Citus worker (hive_tokens.accept_tickets), a transaction
// without one of its own takes the one its coordinator's ticket carries, once (ticket.h); it
// belongs to the whole transaction (a worker's savepoints follow the coordinator's, whose
// principal a rollback to one does not drop), and is dropped for good when the ticket it came
// from is reset or rolled back (the coordinator's principal was set in a rolled-back savepoint).
void adopt_ticket();

const State* current() {
    if (g_current) {
        if (g_current->from_ticket && g_current->ticket_version != hive_tokens::pg::ticket_version()) {
            g_current.reset();
            g_set_in = InvalidSubTransactionId;
            ++g_state;
        }
        return g_current.get();
    }
    if (!hive_tokens::pg::accept_tickets || g_had_principal || g_ticket_tried == hive_tokens::pg::ticket_version())
        return nullptr;
    adopt_ticket();
    return g_current.get();
}

// What a call site's cached answer was computed for. A cache from an earlier transaction, or one
// computed while the transaction had no principal yet (every answer then was "no" or NULL), is
// recomputed; one computed for a principal that is no longer current (dropped by a rollback to
// a savepoint) must never answer again in this transaction.
struct Computed {
    unsigned long xact;
    unsigned long state;
    bool for_principal;
};

Computed now_computed() noexcept { return Computed{g_xact, g_state, g_current != nullptr}; }

// true: the cache may be used; false: recompute it. Throws when the principal it was computed
// for is gone.
bool cache_usable(const Computed& c) {
    if (c.xact != g_xact) return false;
    if (c.state == g_state) return true;
    if (!c.for_principal) return false;
    throw core::Error(core::ErrorKind::InvalidTransactionState,
                      "the principal of this transaction changed while a query was using it",
                      "A check computed for one principal cannot answer after it was dropped.",
                      "Do not roll back the savepoint that set the principal while its queries still run.");
}

using hive_tokens::pg::uuid_from_datum;
using hive_tokens::pg::uuid_to_datum;

std::string text_to_string(text* t) { return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)); }

const core::Permission& action_arg(text* t) {
    return hive_tokens::pg::find_action(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

// can() runs once per row in row-level-security policies: each call site keeps its action's bit
// (re-resolved when the catalog changes) instead of looking the name up every time, and which
// principal it answered for (a call site never answers for two principals in one transaction).
struct CanCache {
    Computed computed{0, 0, false};
    unsigned long generation = 0;
    std::size_t len = 0;  // 0: no action cached
    int bit = 0;
    char name[64];
};

CanCache* can_cache(FunctionCallInfo fcinfo) {
    (void)current();  // a ticket's principal is taken before the cache is checked
    CanCache* c = &hive_tokens::pg::call_site_state<CanCache>(fcinfo);
    if (!cache_usable(c->computed)) c->computed = now_computed();
    return c;
}

const core::Permission& cached_action(CanCache* c, text* t) {
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    const core::PermissionCatalog& cat = current_catalog();
    if (c->len != 0 && c->generation == hive_tokens::pg::catalog_generation() && c->len == len &&
        memcmp(c->name, VARDATA_ANY(t), len) == 0)
        if (const core::Permission* p = cat.at(c->bit)) return *p;
    const core::Permission& p = action_arg(t);
    if (len <= sizeof c->name) {
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

// policy.can() for a request as SQL passes it (NULL service or app: none). Names are compared as
// Hive compares them, whatever they hold: a row-level-security policy, can() and authorize()
// must agree on every row, including rows with odd names.
bool policy_allows(const core::PrincipalPolicy& policy, const core::Permission& action, const core::Uuid& org,
                   const core::Uuid* project, const core::Uuid* target, text* service_t, text* app_t) {
    std::string service, app;
    if (service_t) service.assign(VARDATA_ANY(service_t), VARSIZE_ANY_EXHDR(service_t));
    if (app_t) app.assign(VARDATA_ANY(app_t), VARSIZE_ANY_EXHDR(app_t));
    return policy.can(action, org, project, target, service_t ? &service : nullptr, app_t ? &app : nullptr);
}

bool check(FunctionCallInfo fcinfo, const CheckArgs& a) {
    const core::Permission& action = cached_action(can_cache(fcinfo), a.action);
    const State* cur = current();
    if (!cur || !a.has_org) return false;
    return policy_allows(cur->policy, action, a.org, a.has_project ? &a.project : nullptr,
                         a.has_target ? &a.target : nullptr, a.service, a.app);
}

void adopt_ticket() {
    g_ticket_tried = hive_tokens::pg::ticket_version();
    hive_tokens::pg::TicketPrincipal t{};
    if (!hive_tokens::pg::open_current_ticket(&t)) return;
    // the ticket may have been reset meanwhile (nothing above runs SQL, but be exact)
    if (g_ticket_tried != hive_tokens::pg::ticket_version()) return;
    auto next = std::make_shared<State>(State{t.is_token, t.token_id, t.has_user, t.user_id,
                                              core::PrincipalPolicy(t.organization, t.scopes, std::move(t.assignment),
                                                                    current_catalog())});
    next->from_ticket = true;
    next->ticket_version = g_ticket_tried;
    set_principal(std::move(next));
    g_set_in = TopSubTransactionId;
}

}  // namespace

void hive_tokens::pg::register_principal_callbacks() {
    RegisterXactCallback(xact_callback, nullptr);
    RegisterSubXactCallback(subxact_callback, nullptr);
}

namespace {

// What the registered member function says a personal token's user may do in its organization
// now (plain data: palloc'd jsonb). status: 0 a row; 1 no function registered; 2 no row (not a
// member); 3 more than one row; 4 the registered function no longer exists.
struct MemberGrant {
    int status;
    core::Scopes scopes;  // none when the function returned NULL
    Jsonb* resources;     // nullptr: NULL, everything (as Hive reads a NULL assignment)
};

// Calls the function registered with set_member_function() (SPI, as the calling role: grant it
// EXECUTE, or make it SECURITY DEFINER to read tables the caller cannot).
void member_grant(const core::Uuid& org, const core::Uuid& user, MemberGrant* out) noexcept {
    out->status = 0;
    out->scopes = core::Scopes::none();
    out->resources = nullptr;
    MemoryContext outer = CurrentMemoryContext;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "authenticate: SPI_connect failed");
    if (SPI_execute("SELECT m.fn::pg_catalog.oid FROM hive_tokens.member_function AS m", true, 2) != SPI_OK_SELECT)
        elog(ERROR, "authenticate: reading hive_tokens.member_function failed");
    if (SPI_processed == 0) {
        out->status = 1;
        SPI_finish();
        return;
    }
    bool isnull;
    Oid fn = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    char* name = get_func_name(fn);
    char* nsp = name ? get_namespace_name(get_func_namespace(fn)) : nullptr;
    if (name == nullptr || nsp == nullptr) {
        out->status = 4;
        SPI_finish();
        return;
    }
    char* query = psprintf("SELECT m.scopes, m.resources FROM %s($1, $2) AS m", quote_qualified_identifier(nsp, name));
    Oid types[2] = {UUIDOID, UUIDOID};
    Datum args[2] = {hive_tokens::pg::uuid_to_datum(org), hive_tokens::pg::uuid_to_datum(user)};
    if (SPI_execute_with_args(query, 2, types, args, nullptr, false, 2) != SPI_OK_SELECT)
        elog(ERROR, "authenticate: the member function failed");
    if (SPI_processed != 1) {
        out->status = SPI_processed == 0 ? 2 : 3;
        SPI_finish();
        return;
    }
    TupleDesc desc = SPI_tuptable->tupdesc;
    Oid scopes_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("scopes"),
                                      ObjectIdGetDatum(get_namespace_oid("hive_tokens", false)));
    if (desc->natts != 2 || SPI_gettypeid(desc, 1) != scopes_type || SPI_gettypeid(desc, 2) != JSONBOID)
        ereport(ERROR, (errextension(), errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("the member function must return (scopes hive_tokens.scopes, resources jsonb)")));
    Datum sc = SPI_getbinval(SPI_tuptable->vals[0], desc, 1, &isnull);
    if (isnull) {  // a function that is not a set function answers "no member" with NULLs
        out->status = 2;
        SPI_finish();
        return;
    }
    memcpy(&out->scopes, DatumGetPointer(sc), sizeof out->scopes);
    Datum rs = SPI_getbinval(SPI_tuptable->vals[0], desc, 2, &isnull);
    if (!isnull) {
        MemoryContext spi = MemoryContextSwitchTo(outer);
        out->resources = DatumGetJsonbPCopy(rs);
        MemoryContextSwitchTo(spi);
    }
    SPI_finish();
}

// What a live token may do: its grant, for a personal token met with its member's (the member
// function's answer), for a project token held to its project.
core::PrincipalPolicy token_policy(const hive_tokens::pg::TokenRow& row, bool follows_member, const MemberGrant& member) {
    const core::PermissionCatalog& cat = current_catalog();
    core::Assignment assignment = core::parse_assignment(hive_tokens::pg::jsonb_value(row.resources));
    core::Scopes scopes = row.scopes;
    if (follows_member) {
        scopes = scopes & member.scopes;
        if (member.resources != nullptr)
            assignment = core::intersect(assignment, core::parse_assignment(hive_tokens::pg::jsonb_value(member.resources)));
    }
    if (row.project_token && row.has_project) {
        // 0.1 stored "*" for a project token and meant its whole project; 0.2 stores that in
        // Hive's granular form and reads a stored "*" as Hive does (nothing below the
        // organization). A database not yet updated keeps 0.1's meaning.
        if (row.layout_0_1 && assignment.all)
            assignment = core::project_token_grant(assignment, row.project);
        else
            assignment = core::project_token_effective(assignment, row.project);
    }
    return core::PrincipalPolicy(row.organization, scopes, std::move(assignment), cat);
}

// authorize()'s compiled policies, by token: compiling a token's grants (reading its resource
// assignment from jsonb, resolving Hive's statements) costs more than verifying it. An entry is
// reused only while everything it was compiled from is byte for byte the same (the row's
// organization, kind, project, scopes and resources as verification just read them, and the
// permission catalog's generation), so no invalidation can be missed; a revoked or expired token
// never gets here. Not for personal tokens following their member (the member's grants change
// without the row). Emptied with the verified-token cache (any committed change to the tokens, a
// new hive_tokens.verify_cache_size). Bounded: at most verify_cache_size entries and about
// verify_cache_size kilobytes (an entry costs about kEntryBase + kPerResourceByte bytes per byte
// of its resources: the compiled form of a granular assignment is several times its jsonb), none
// for resources over kMaxCachedResources bytes; arbitrary entries go when full.
struct CachedPolicy {
    unsigned long generation;
    core::Uuid organization;
    core::Scopes scopes;
    bool project_token, has_project, layout_0_1;
    core::Uuid project;
    std::string resources;  // the jsonb value's bytes
    std::shared_ptr<const core::PrincipalPolicy> policy;
};
std::unordered_map<core::Uuid, CachedPolicy, core::UuidHash>* g_policies = nullptr;
std::size_t g_policy_bytes = 0;  // estimated memory of g_policies' entries
constexpr std::size_t kEntryBase = 512, kPerResourceByte = 8;

std::size_t entry_cost(const CachedPolicy& c) { return kEntryBase + kPerResourceByte * c.resources.size(); }

void erase_policy(std::unordered_map<core::Uuid, CachedPolicy, core::UuidHash>::iterator it) {
    g_policy_bytes -= entry_cost(it->second);
    g_policies->erase(it);
}

constexpr std::size_t kMaxCachedResources = 2048;  // larger assignments are compiled every time

std::shared_ptr<const core::PrincipalPolicy> cached_token_policy(const hive_tokens::pg::TokenRow& row) {
    const auto compile = [&] { return std::make_shared<const core::PrincipalPolicy>(token_policy(row, false, MemberGrant{})); };
    const std::size_t max_entries =
        static_cast<std::size_t>(hive_tokens::pg::verify_cache_size > 0 ? hive_tokens::pg::verify_cache_size : 0);
    if (max_entries == 0) hive_tokens::pg::forget_token_policies();
    if (max_entries == 0 || VARSIZE(row.resources) > kMaxCachedResources) return compile();
    (void)current_catalog();  // reloaded first if it changed, so the generation below is current
    const unsigned long generation = hive_tokens::pg::catalog_generation();
    const std::string_view resources(reinterpret_cast<const char*>(row.resources), VARSIZE(row.resources));
    if (g_policies == nullptr) g_policies = new std::unordered_map<core::Uuid, CachedPolicy, core::UuidHash>();
    auto it = g_policies->find(row.id);
    if (it != g_policies->end()) {
        const CachedPolicy& c = it->second;
        if (c.generation == generation && c.organization == row.organization && c.scopes == row.scopes &&
            c.project_token == row.project_token && c.has_project == row.has_project &&
            (!row.has_project || c.project == row.project) &&
            c.layout_0_1 == row.layout_0_1 && c.resources == resources)
            return c.policy;
    }
    auto policy = compile();
    // compiling may have processed invalidations (a catalog reload) and emptied the map: look again
    if (auto stale = g_policies->find(row.id); stale != g_policies->end()) erase_policy(stale);
    CachedPolicy entry{generation, row.organization, row.scopes, row.project_token, row.has_project,
                       row.layout_0_1, row.project, std::string(resources), policy};
    const std::size_t cost = entry_cost(entry);
    const std::size_t max_bytes = max_entries * 1024;
    while (!g_policies->empty() && (g_policies->size() >= max_entries || g_policy_bytes + cost > max_bytes))
        erase_policy(g_policies->begin());
    if (cost <= max_bytes) {
        g_policy_bytes += cost;
        g_policies->emplace(row.id, std::move(entry));
    }
    return policy;
}

}  // namespace

long hive_tokens::pg::token_policies_kept() noexcept { return g_policies != nullptr ? static_cast<long>(g_policies->size()) : 0; }

void hive_tokens::pg::forget_token_policies() noexcept {
    if (g_policies != nullptr) g_policies->clear();
    g_policy_bytes = 0;
}

// authenticate(token text) -> uuid: verifies and makes the token the principal of this
// transaction. 28000 for anything that is not a live token; the token never appears in it.
// A personal token's grants are intersected with its member's current ones (the registered
// member function), as Hive does at every use; without a registered function it fails closed.
// try_authenticate(token text) -> uuid: the same, but NULL (and no principal, nothing logged)
// where authenticate() raises 28000, so that requests with bad tokens do not fill the server log
// with errors. Errors that are not about the token (a second principal, 25000) still raise.
namespace {

Datum authenticate_token(FunctionCallInfo fcinfo, bool quiet) {
    check_can_set_principal(quiet ? "try_authenticate" : "authenticate");
    if (PG_ARGISNULL(0)) {
        if (quiet) PG_RETURN_NULL();
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                        errdetail("The token is missing (NULL).")));
    }
    text* t = PG_GETARG_TEXT_PP(0);
    hive_tokens::pg::TokenRow row;
    core::Reason reason = hive_tokens::pg::lookup_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &row);
    if (reason != core::Reason::Ok) {
        if (quiet) PG_RETURN_NULL();
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                        errdetail("The token is %s.", core::reason_detail(reason)), errhidestmt(true)));
    }
    MemberGrant member{};
    // a database still at 0.1 has no member function (its personal tokens work as 0.1 made them)
    const bool follows_member = row.personal_token && !row.layout_0_1;
    if (follows_member && row.has_user) {
        pg_call([&]() noexcept { member_grant(row.organization, row.user, &member); });
        // the member function is code of its own: it must not have set a principal meanwhile
        check_can_set_principal(quiet ? "try_authenticate" : "authenticate");
        if (member.status == 3)
            ereport(ERROR, (errextension(), errcode(ERRCODE_CARDINALITY_VIOLATION),
                            errmsg("the member function returned more than one row for a user"), errhidestmt(true)));
        if (member.status != 0 && quiet) PG_RETURN_NULL();
        if (member.status == 1 || member.status == 4)
            ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                            errdetail(member.status == 1 ? "The token is a personal token and no member function is registered."
                                                         : "The token is a personal token and the registered member function no longer exists."),
                            errhint("A personal token's rights follow its member's current role: register a function "
                                    "(organization uuid, user_id uuid) returning (scopes hive_tokens.scopes, resources "
                                    "jsonb) with hive_tokens.set_member_function()."),
                            errhidestmt(true)));
        if (member.status == 2)
            ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                            errdetail("The token is a personal token and its user is not a member of its organization."),
                            errhidestmt(true)));
    } else if (follows_member) {
        if (quiet) PG_RETURN_NULL();
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION), errmsg("access token rejected"),
                        errdetail("The token is a personal token without a user."), errhidestmt(true)));
    }
    {
        auto next = std::make_shared<const State>(
            State{true, row.id, row.has_user, row.user, token_policy(row, follows_member, member)});
        if (hive_tokens::pg::issue_tickets)
            hive_tokens::pg::set_ticket(true, next->token_id, next->has_user, next->user_id, next->policy);
        set_principal(std::move(next));
    }  // no C++ object outlives this block: what follows may raise a PostgreSQL error
    PG_RETURN_DATUM(uuid_to_datum(row.id));
}

}  // namespace

HT_TOKEN_FUNCTION(authenticate) { return authenticate_token(fcinfo, false); }

HT_TOKEN_FUNCTION(try_authenticate) { return authenticate_token(fcinfo, true); }

// authorize(token text, action text, organization uuid, project uuid, target uuid, service text,
// app_deployment text) -> boolean: verification and check in one call, without a principal
// (Hive's usage ingestion asks usage:report so on every request). NULL when the token is not
// live (or, a personal token, cannot act: no member function, no longer a member), so a caller
// answers 401; false when it is live but not allowed (403); true when allowed. The action is
// checked first: an unknown one is an error (22023) whatever the token.
HT_TOKEN_FUNCTION(authorize) {
    if (PG_ARGISNULL(1)) throw core::Error(core::ErrorKind::NullValue, "action must not be null");
    // The bit only: the lookups below may reload the permission catalog (twice frees the one the
    // action's entry lives in); it is found again just before the check.
    const int action_bit = cached_action(can_cache(fcinfo), PG_GETARG_TEXT_PP(1)).bit;
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const bool has_org = !PG_ARGISNULL(2), has_project = !PG_ARGISNULL(3), has_target = !PG_ARGISNULL(4);
    const core::Uuid org = has_org ? uuid_from_datum(PG_GETARG_DATUM(2)) : core::Uuid{};
    const core::Uuid project = has_project ? uuid_from_datum(PG_GETARG_DATUM(3)) : core::Uuid{};
    const core::Uuid target = has_target ? uuid_from_datum(PG_GETARG_DATUM(4)) : core::Uuid{};
    text* service_t = PG_ARGISNULL(5) ? nullptr : PG_GETARG_TEXT_PP(5);
    text* app_t = PG_ARGISNULL(6) ? nullptr : PG_GETARG_TEXT_PP(6);
    text* t = PG_GETARG_TEXT_PP(0);
    hive_tokens::pg::TokenRow row;
    if (hive_tokens::pg::lookup_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &row) != core::Reason::Ok) PG_RETURN_NULL();
    MemberGrant member{};
    const bool follows_member = row.personal_token && !row.layout_0_1;
    if (follows_member) {
        if (!row.has_user) PG_RETURN_NULL();
        const bool had_principal = g_current != nullptr;
        pg_call([&]() noexcept { member_grant(row.organization, row.user, &member); });
        // the member function is code of its own: it must not set a principal through authorize()
        if (!had_principal && g_current != nullptr)
            ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_TRANSACTION_STATE),
                            errmsg("the member function set a principal"), errhidestmt(true)));
        if (member.status == 3)
            ereport(ERROR, (errextension(), errcode(ERRCODE_CARDINALITY_VIOLATION),
                            errmsg("the member function returned more than one row for a user"), errhidestmt(true)));
        if (member.status != 0) PG_RETURN_NULL();
    }
    bool allowed = false;
    auto action = [action_bit]() -> const core::Permission& {
        const core::Permission* p = hive_tokens::pg::current_catalog().at(action_bit);
        if (p == nullptr)
            throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                              "the permission catalog changed during authorize()", "", "Try again.");
        return *p;
    };
    if (follows_member) {
        const core::PrincipalPolicy policy = token_policy(row, follows_member, member);
        allowed = has_org && policy_allows(policy, action(), org, has_project ? &project : nullptr,
                                           has_target ? &target : nullptr, service_t, app_t);
    } else {
        const std::shared_ptr<const core::PrincipalPolicy> policy = cached_token_policy(row);
        allowed = has_org && policy_allows(*policy, action(), org, has_project ? &project : nullptr,
                                           has_target ? &target : nullptr, service_t, app_t);
    }
    PG_RETURN_BOOL(allowed);
}

// act_as_member(organization uuid, scopes, resources jsonb [, user_id uuid]) -> void: a member
// principal, for the application's trusted role only (EXECUTE is revoked from PUBLIC). The
// member's user id, when given, is what their personal tokens belong to.
HT_FUNCTION(act_as_member) {
    check_can_set_principal("act_as_member");
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errextension(), errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("organization and scopes must not be null")));
    core::Uuid org = uuid_from_datum(PG_GETARG_DATUM(0));
    const core::Scopes scopes = *hive_tokens::pg::scopes_arg(fcinfo, 1);
    Jsonb* jb = PG_ARGISNULL(2) ? nullptr : PG_GETARG_JSONB_P(2);
    const bool has_user = PG_NARGS() > 3 && !PG_ARGISNULL(3);
    core::Uuid user = has_user ? uuid_from_datum(PG_GETARG_DATUM(3)) : core::Uuid{};
    {
        const core::PermissionCatalog& cat = current_catalog();
        core::Assignment assignment =
            jb ? core::parse_assignment(hive_tokens::pg::jsonb_value(jb)) : core::Assignment::everything();
        auto next = std::make_shared<const State>(
            State{false, core::Uuid{}, has_user, user, core::PrincipalPolicy(org, scopes, std::move(assignment), cat)});
        if (hive_tokens::pg::issue_tickets)
            hive_tokens::pg::set_ticket(false, core::Uuid{}, has_user, user, next->policy);
        set_principal(std::move(next));
    }
    PG_RETURN_VOID();
}

HT_FUNCTION(current_user_id) {
    const State* cur = current();
    if (!cur || !cur->has_user) PG_RETURN_NULL();
    PG_RETURN_DATUM(uuid_to_datum(cur->user_id));
}

namespace {

// Who is acting, for the server log: the principal and the role.
std::string actor_text() {
    std::string role;
    pg_call([&]() noexcept {
        Oid who = OidIsValid(hive_tokens::pg::g_management_caller) ? hive_tokens::pg::g_management_caller : GetOuterUserId();
        const char* name = GetUserNameFromId(who, true);
        role = name ? name : "?";
    });
    if (!g_current) return "role " + role + " (no principal)";
    std::string who = g_current->is_token ? "token " + g_current->token_id.text() : std::string("member");
    if (g_current->has_user) who += " of user " + g_current->user_id.text();
    return who + " in organization " + g_current->policy.organization().text() + ", role " + role;
}

// A refusal cannot be stored in the audit log (the error rolls the transaction back): it goes to
// the server log, apart from the client (LOG_SERVER_ONLY), without the statement.
std::string g_refusing;  // what the current management call does, for the audit event
bool g_refusing_has_org = false;
core::Uuid g_refusing_org;  // and the organization it concerns

[[noreturn]] void refuse_management(const char* reason, const std::string& message, const std::string& detail,
                                    const std::string& hint) {
    const std::string line = "hive_tokens refused: " + message + (detail.empty() ? "" : " (" + detail + ")") + "; " + actor_text();
    pg_call([&]() noexcept { ereport(LOG_SERVER_ONLY, (errmsg("%s", line.c_str()), errhidestmt(true), errhidecontext(true))); });
    hive_tokens::pg::RefusalActor actor{};
    actor.has_organization = g_refusing_has_org;
    actor.organization = g_refusing_org;
    if (g_current) {
        actor.kind = g_current->is_token ? 1 : 2;
        if (!actor.has_organization) {
            actor.has_organization = true;
            actor.organization = g_current->policy.organization();
        }
        actor.has_token = g_current->is_token;
        actor.token = g_current->token_id;
        actor.has_user = g_current->has_user;
        actor.user = g_current->user_id;
    }
    hive_tokens::pg::record_refusal(actor, g_refusing, reason);
    throw core::Error(core::ErrorKind::InsufficientPrivilege, message, detail, hint);
}

// A principal taken from a Citus ticket is for the worker's row-level-security checks: tokens and
// organizations are managed on the coordinator, where it was authenticated.
void refuse_ticket_principal() {
    if (g_current && g_current->from_ticket)
        throw core::Error(core::ErrorKind::InsufficientPrivilege,
                          "a principal taken from a ticket cannot manage tokens or organizations",
                          "It was authenticated on the Citus coordinator; this node only checks rows with it.",
                          "Call this function on the coordinator.");
}

// Bootstrap and migrations: a superuser, or a member of hive_tokens_admin. The role that called
// the public function counts (caller.cpp: the ticket's role), never the session's.
bool is_admin(Oid who) {
    bool allowed = false;
    pg_call([&]() noexcept {
        Oid admin = get_role_oid("hive_tokens_admin", true);
        allowed = OidIsValid(who) && (superuser_arg(who) || (OidIsValid(admin) && has_privs_of_role(who, admin)));
    });
    return allowed;
}

}  // namespace

// authorize_management(action text, kind text, organization uuid, project uuid, user_id uuid,
// scopes, resources jsonb) -> void (hive_tokens_internal): whether the transaction's principal,
// or without one the session's role, may issue ("issue"), rotate ("rotate") or revoke ("revoke")
// a token of this kind, organization, project and user, with these grants. 42501 naming what is
// missing, or the grants beyond the issuer's own.
HT_FUNCTION(authorize_management) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
        throw core::Error(core::ErrorKind::NullValue, "authorize_management: caller, action, kind and organization must not be null");
    const Oid caller = PG_GETARG_OID(0);
    text* action_t = PG_GETARG_TEXT_PP(1);
    text* kind_t = PG_GETARG_TEXT_PP(2);
    core::Uuid org = uuid_from_datum(PG_GETARG_DATUM(3));
    const bool has_project = !PG_ARGISNULL(4), has_user = !PG_ARGISNULL(5);
    core::Uuid project = has_project ? uuid_from_datum(PG_GETARG_DATUM(4)) : core::Uuid{};
    core::Uuid user = has_user ? uuid_from_datum(PG_GETARG_DATUM(5)) : core::Uuid{};
    const core::Scopes* scopes = PG_ARGISNULL(6) ? nullptr : hive_tokens::pg::scopes_arg(fcinfo, 6);
    Jsonb* resources = PG_ARGISNULL(7) ? nullptr : PG_GETARG_JSONB_P(7);
    hive_tokens::pg::g_management_caller = caller;
    std::string action(VARDATA_ANY(action_t), VARSIZE_ANY_EXHDR(action_t));
    std::string kind(VARDATA_ANY(kind_t), VARSIZE_ANY_EXHDR(kind_t));
    g_refusing = action + " " + kind + " token";
    g_refusing_has_org = true;
    g_refusing_org = org;
    if (!g_current) {
        if (!is_admin(caller))
            refuse_management("no_admin", "managing tokens without a principal needs membership in hive_tokens_admin", "",
                              "Call hive_tokens.authenticate() or act_as_member() first in this transaction, or GRANT "
                              "hive_tokens_admin to the role that runs migrations.");
        PG_RETURN_VOID();
    }
    const State& st = *g_current;
    refuse_ticket_principal();
    const core::PermissionCatalog& cat = current_catalog();
    if (org != st.policy.organization())
        refuse_management("other_organization", "the principal cannot " + action + " tokens of another organization", "", "");
    const char* right = kind == "project" ? "projectAccessToken:modify"
                        : kind == "personal" ? "personalAccessToken:modify"
                                             : "accessToken:modify";
    const core::Permission& p = hive_tokens::pg::find_action(right);
    if (!st.policy.can(p, org, has_project ? &project : nullptr, nullptr, nullptr, nullptr))
        refuse_management("missing_right", "the principal cannot " + action + " " + (kind == "organization" ? "organization" : kind) +
                              " tokens here",
                          std::string("It needs ") + right +
                              (kind == "project" ? " on project " + project.text() : " on the organization") + ".",
                          "");
    if (kind == "personal" && (!st.has_user || !has_user || st.user_id != user))
        refuse_management("other_user", "the principal cannot " + action + " another user's personal tokens",
                          "A personal token belongs to the user of the principal that manages it.",
                          st.is_token ? "" : "Name the member's user in act_as_member(..., user_id).");
    if ((action == "issue" || action == "rotate") && scopes != nullptr) {
        core::Assignment a = resources ? core::parse_assignment(hive_tokens::pg::jsonb_value(resources))
                                       : core::Assignment::everything();
        if (kind == "project" && has_project) a = core::project_token_effective(a, project);
        core::PrincipalPolicy grant(org, *scopes, std::move(a), cat);
        std::vector<core::Excess> beyond = core::excess(st.policy, grant, cat);
        if (!beyond.empty()) {
            std::string detail = "Beyond the issuer's own grants: ";
            for (std::size_t i = 0; i < beyond.size(); ++i)
                detail += (i ? "; " : "") + beyond[i].permission + " on " + beyond[i].resource;
            detail += beyond.size() == 5 ? "; ..." : ".";
            refuse_management("escalation", "the token would grant more than its issuer holds", detail,
                              "Issue a token within the principal's own permissions and resources.");
        }
    }
    PG_RETURN_VOID();
}

// authorize_organization(what text, action text, organization uuid, members_only boolean) ->
// void (hive_tokens_internal): may the principal do `what` (for the message) in the
// organization: it needs `action` there, and with members_only it must be a member, not a token.
// Without a principal, or with a NULL action, only a superuser or a member of hive_tokens_admin.
HT_FUNCTION(authorize_organization) {
    if (PG_ARGISNULL(0)) throw core::Error(core::ErrorKind::NullValue, "authorize_organization: caller must not be null");
    const Oid caller = PG_GETARG_OID(0);
    hive_tokens::pg::g_management_caller = caller;
    // both text arguments detoasted (which may raise) before any C++ object exists
    text* what_t = PG_ARGISNULL(1) ? nullptr : PG_GETARG_TEXT_PP(1);
    const bool has_action = !PG_ARGISNULL(2);
    text* action_t = has_action ? PG_GETARG_TEXT_PP(2) : nullptr;
    std::string what = what_t == nullptr ? std::string("do this") : std::string(VARDATA_ANY(what_t), VARSIZE_ANY_EXHDR(what_t));
    std::string action = has_action ? std::string(VARDATA_ANY(action_t), VARSIZE_ANY_EXHDR(action_t)) : std::string();
    const bool has_org = !PG_ARGISNULL(3);
    core::Uuid org = has_org ? uuid_from_datum(PG_GETARG_DATUM(3)) : core::Uuid{};
    const bool members_only = !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
    g_refusing = what;
    g_refusing_has_org = has_org;
    g_refusing_org = org;
    if (!g_current || !has_action) {
        if (!is_admin(caller))
            refuse_management("no_admin", "only a superuser or a member of hive_tokens_admin may " + what +
                                  (has_action ? " without a principal" : ""),
                              "", has_action ? "Call hive_tokens.authenticate() or act_as_member() first in this transaction."
                                             : "GRANT hive_tokens_admin to the role that administers tokens.");
        PG_RETURN_VOID();
    }
    const State& st = *g_current;
    refuse_ticket_principal();
    if (members_only && st.is_token)
        refuse_management("not_a_member", "a token cannot " + what, "Only a member (act_as_member()) may.", "");
    if (!has_org || org != st.policy.organization())
        refuse_management("other_organization", "the principal cannot " + what + " of another organization", "", "");
    const core::Permission& p = hive_tokens::pg::find_action(action);
    if (!st.policy.can(p, org, nullptr, nullptr, nullptr, nullptr))
        refuse_management("missing_right", "the principal cannot " + what, "It needs " + action + " on the organization.", "");
    PG_RETURN_VOID();
}

HT_FUNCTION(current_token_id) {
    const State* cur = current();
    if (!cur || !cur->is_token) PG_RETURN_NULL();
    PG_RETURN_DATUM(uuid_to_datum(cur->token_id));
}

HT_FUNCTION(current_organization_id) {
    const State* cur = current();
    if (!cur) PG_RETURN_NULL();
    PG_RETURN_DATUM(uuid_to_datum(cur->policy.organization()));
}

HT_FUNCTION(current_scopes) {
    const State* cur = current();
    if (!cur) PG_RETURN_NULL();
    PG_RETURN_DATUM(hive_tokens::pg::scopes_datum(cur->policy.scopes()));
}

HT_FUNCTION(current_principal_kind) {
    const State* cur = current();
    if (!cur) PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text(cur->is_token ? "token" : "member"));
}

// can(action, organization, project, target, service, app_deployment) -> boolean
HT_FUNCTION(can) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    PG_RETURN_BOOL(check(fcinfo, check_args(fcinfo)));
}

// assert_can(...) -> void: 42501 with Hive's message unless can() is true.
HT_FUNCTION(assert_can) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errextension(), errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("action must not be null")));
    CheckArgs a = check_args(fcinfo);
    if (check(fcinfo, a)) PG_RETURN_VOID();
    bool anonymous = current() == nullptr;
    char buf[512];
    strlcpy(buf, core::denial_message(action_arg(a.action).name).c_str(), sizeof buf);  // temporary gone at ';'
    ereport(ERROR, (errextension(), errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", buf),
                    anonymous ? errhint("No principal: call hive_tokens.authenticate() first in this transaction.") : 0));
    PG_RETURN_VOID();
}

// write_refused(action text, tbl text, row_organization uuid) -> boolean (hive_tokens_internal): the WITH CHECK of
// protect()'s write policies calls it for a row the principal may not write, so the refusal is
// the extension's 42501 with Hive's message (a client maps it to 403), not PostgreSQL's generic
// policy violation (which looks like a missing GRANT).
HT_FUNCTION(write_refused) {
    char message[512];
    char table[256];
    const bool anonymous = current() == nullptr;
    text* action_t = PG_ARGISNULL(0) ? nullptr : PG_GETARG_TEXT_PP(0);  // detoasted before any C++ object
    text* table_t = PG_ARGISNULL(1) ? nullptr : PG_GETARG_TEXT_PP(1);
    {
        const std::string action = action_t ? text_to_string(action_t) : std::string("?");
        strlcpy(message, core::denial_message(action).c_str(), sizeof message);
        strlcpy(table, table_t ? text_to_string(table_t).c_str() : "?", sizeof table);
    }  // no C++ object lives past here
    ereport(ERROR, (errextension(), errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", message),
                    errdetail("The row-level security policy protect() made on %s refused the new row.", table),
                    anonymous ? errhint("No principal: call hive_tokens.authenticate() first in this transaction.") : 0));
    PG_RETURN_BOOL(false);
}

// ---- sets for row-level-security policies (docs/rls.md) --------------------------------------
//
// Policies call these once per query (as initPlans) or, where the planner should see the values
// to pick an index, as plain STABLE calls that may be evaluated per row: so each call site keeps
// the answer for the current principal and action, computed once.
//
// Without a principal every helper returns NULL, never an empty set: a policy arm computed then
// can only reject rows (NULL is not true), so even a query that somehow saw the transaction both
// without and with its principal could never admit a row the principal alone would not.

namespace {

// The sets of one action, computed once per call site, principal and action.
struct SetsEntry {
    std::size_t len;
    char action[core::kMaxPermissionName + 1];
    bool has_principal;
    bool has_org;
    Datum org;
    Datum arrays[5];  // projects, targets, row_check_targets, denied_projects, denied_targets
};

// A call site caches up to kSetsEntries actions (a policy names one; a query that varies the
// action per row gets a few), their arrays in a memory context of its own that is emptied when
// the transaction or principal changes. Beyond that an answer is built in the caller's memory,
// freed with the row: nothing grows with the number of rows.
constexpr int kSetsEntries = 8;
struct SetsCache {
    Computed computed{0, 0, false};
    MemoryContext cxt = nullptr;  // the entries' arrays, created on first use
    int n = 0;
    SetsEntry entries[kSetsEntries];
};
SetsEntry g_uncached;  // an answer not kept at its call site (arrays in the caller's memory)

SetsCache* sets_call_site(FunctionCallInfo fcinfo) {
    (void)current();  // a ticket's principal is taken before the cache is checked
    SetsCache* c = &hive_tokens::pg::call_site_state<SetsCache>(fcinfo);
    if (c->cxt == nullptr) {
        MemoryContext parent = fcinfo->flinfo->fn_mcxt;
        pg_call([&]() noexcept { c->cxt = AllocSetContextCreate(parent, "hive_tokens RLS sets", ALLOCSET_SMALL_SIZES); });
        c->computed = now_computed();
    }
    if (!cache_usable(c->computed)) {
        MemoryContext cxt = c->cxt;
        pg_call([&]() noexcept { MemoryContextReset(cxt); });
        c->n = 0;
        c->computed = now_computed();
    }
    return c;
}

const SetsEntry& sets_cache(FunctionCallInfo fcinfo) {
    text* t = PG_GETARG_TEXT_PP(0);
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    SetsCache* c = sets_call_site(fcinfo);
    for (int i = 0; i < c->n; ++i)
        if (c->entries[i].len == len && memcmp(c->entries[i].action, VARDATA_ANY(t), len) == 0) return c->entries[i];
    const core::Permission& action = action_arg(t);  // every valid name fits SetsEntry::action
    const State* cur = current();
    core::PrincipalPolicy::Sets sets = cur ? cur->policy.sets_for(action) : core::PrincipalPolicy::Sets{};
    const bool keep = c->n < kSetsEntries;
    SetsEntry& e = keep ? c->entries[c->n] : g_uncached;
    e = SetsEntry{};
    e.len = len;
    memcpy(e.action, VARDATA_ANY(t), len);
    e.has_principal = cur != nullptr;
    // Everything PostgreSQL allocates happens inside pg_call (sets is a C++ object).
    pg_call([&]() noexcept {
        MemoryContext old = MemoryContextSwitchTo(keep ? c->cxt : CurrentMemoryContext);
        e.has_org = sets.organization_wide.has_value();
        if (e.has_org) e.org = uuid_to_datum(*sets.organization_wide);
        const std::vector<core::Uuid>* lists[5] = {&sets.projects, &sets.targets, &sets.row_check_targets,
                                                   &sets.denied_projects, &sets.denied_targets};
        for (int i = 0; e.has_principal && i < 5; ++i) {
            const std::vector<core::Uuid>& ids = *lists[i];
            Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (ids.empty() ? 1 : ids.size())));
            for (std::size_t k = 0; k < ids.size(); ++k) elems[k] = uuid_to_datum(ids[k]);
            e.arrays[i] = PointerGetDatum(
                construct_array(elems, static_cast<int>(ids.size()), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
        }
        MemoryContextSwitchTo(old);
    });
    if (keep) ++c->n;
    return e;
}

Datum set_or_null(FunctionCallInfo fcinfo, int which) {
    const SetsEntry& e = sets_cache(fcinfo);
    if (!e.has_principal) {
        fcinfo->isnull = true;
        return static_cast<Datum>(0);
    }
    return e.arrays[which];
}

}  // namespace

HT_FUNCTION(organization_wide) {
    const SetsEntry& c = sets_cache(fcinfo);
    if (!c.has_org) PG_RETURN_NULL();
    PG_RETURN_DATUM(c.org);
}

HT_FUNCTION(allowed_projects) { return set_or_null(fcinfo, 0); }
HT_FUNCTION(allowed_targets) { return set_or_null(fcinfo, 1); }
HT_FUNCTION(row_check_targets) { return set_or_null(fcinfo, 2); }
HT_FUNCTION(denied_projects) { return set_or_null(fcinfo, 3); }
HT_FUNCTION(denied_targets) { return set_or_null(fcinfo, 4); }
