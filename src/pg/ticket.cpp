// Tickets between a Citus coordinator and its workers (ticket.h).
#include "ticket.h"

#include <string>

#include "../core/error.h"
#include "../core/json.h"
#include "../core/ticket.h"
#include "guard.h"
#include "jsonb_value.h"
#include "keyring_loader.h"
#include "permission_cache.h"
#include "session_state.h"
#include "spi_text.h"
#include "token_store.h"

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "libpq/libpq-be.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/backend_status.h"
#include "utils/guc_tables.h"
#include "postmaster/postmaster.h"
#include "utils/datetime.h"
#include "storage/proc.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::pg_call;
using hive_tokens::pg::spi_first_text;

bool hive_tokens::pg::issue_tickets = false;
bool hive_tokens::pg::accept_tickets = false;
int hive_tokens::pg::ticket_lifetime = 60;
char* hive_tokens::pg::ticket_setting = nullptr;

namespace {
unsigned long g_ticket_version = 1;

// The application names Citus gives the connections it opens to a node, and believes: a backend
// whose application_name starts with one of these takes the global pid that follows as its own
// and stamps it into every connection it opens next (Citus's ExtractGlobalPID()).
const char* const kCitusBackendPrefixes[] = {"citus_internal gpid=", "citus_rebalancer gpid=", "citus_run_command gpid="};
GucStringCheckHook g_prior_application_name_check = nullptr;
bool g_application_name_guarded = false;
bool g_preloaded = false;

// application_name's check hook, chained after PostgreSQL's (and any other library's): refuses a
// Citus backend name from SET, set_config(), ALTER ROLE/DATABASE ... SET and the settings they
// leave, unless the current user is a superuser. A ticket is bound to the global pid of the
// backend that sealed it; were a session of the application's role able to claim another
// backend's global pid, it could replay that backend's tickets (found by the fourth review).
// The server's own configuration and a connection's startup packet (how Citus names its
// connections, and so indistinguishable from them) are pg_hba.conf's to admit. Runs inside
// set_config_option: no C++ object with a destructor lives in this frame, so superuser()'s
// ereport, should its catalog lookup fail, may longjmp through it.
bool application_name_check(char** newval, void** extra, GucSource source) {
    if (g_prior_application_name_check != nullptr && !g_prior_application_name_check(newval, extra, source)) return false;
    if (*newval == nullptr) return true;
    const char* claimed = nullptr;
    for (const char* prefix : kCitusBackendPrefixes)
        if (strncmp(*newval, prefix, strlen(prefix)) == 0) claimed = prefix;
    if (claimed == nullptr) return true;
    if (source <= PGC_S_GLOBAL || source == PGC_S_CLIENT) return true;
    if (IsParallelWorker()) return true;  // the leader's value, checked when the leader set it
    if (IsTransactionState() && superuser()) return true;
    GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
    GUC_check_errmsg("an application_name beginning with \"%s\" is reserved for Citus's own connections", claimed);
    GUC_check_errdetail(
        "hive_tokens refuses it from a role other than a superuser: Citus takes the number that follows as the "
        "global pid of the backend this session works for, which the principal's tickets are bound to.");
    return false;
}
}  // namespace

void hive_tokens::pg::guard_application_name(bool preloading) {
    g_preloaded = g_preloaded || preloading;
    if (g_application_name_guarded) return;
    struct config_generic** vars = get_guc_variables();
    const int n = GetNumConfigOptions();
    for (int i = 0; i < n; ++i) {
        if (vars[i]->vartype != PGC_STRING || strcmp(vars[i]->name, "application_name") != 0) continue;
        auto* var = reinterpret_cast<struct config_string*>(vars[i]);
        g_prior_application_name_check = var->check_hook;
        var->check_hook = application_name_check;
        g_application_name_guarded = true;
    }
}

bool hive_tokens::pg::ticket_check(char** newval, void**, GucSource source) {
    // A ticket belongs to one transaction: it has no place in a file, ALTER ROLE/DATABASE SET or
    // a connection option (where it would be offered to every later transaction).
    if (*newval != nullptr && (*newval)[0] != '\0' && source != PGC_S_SESSION) {
        GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
        GUC_check_errmsg("hive_tokens.ticket can only be set with SET or set_config() in a session");
        return false;
    }
    if (*newval != nullptr && strlen(*newval) > core::kMaxTicketBytes) {
        GUC_check_errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED);
        GUC_check_errmsg("a ticket is at most %d bytes", static_cast<int>(core::kMaxTicketBytes));
        return false;
    }
    return true;
}

void hive_tokens::pg::ticket_assign(const char*, void*) { ++g_ticket_version; }

unsigned long hive_tokens::pg::ticket_version() noexcept { return g_ticket_version; }

namespace {

// Whether the Citus library is loaded: it defines citus.propagate_set_commands (a SET of that name
// without Citus only makes a placeholder).
// What a ticket is bound to, as this backend sees it now (names palloc'd; NULL if gone).
struct Here {
    const char* database;
    const char* role;  // the current user
    TimestampTz now;
};

Here here_and_now() {
    Here h{nullptr, nullptr, 0};
    pg_call([&]() noexcept {
        h.database = get_database_name(MyDatabaseId);
        h.role = GetUserNameFromId(GetUserId(), true);
        h.now = GetCurrentTimestamp();
    });
    return h;
}

bool citus_loaded() {
    const char* v = nullptr;
    int flags = 0;
    pg_call([&]() noexcept {
        v = GetConfigOption("citus.propagate_set_commands", true, false);
        if (v != nullptr) flags = GetConfigOptionFlags("citus.propagate_set_commands", true);
    });
    return v != nullptr && (flags & GUC_CUSTOM_PLACEHOLDER) == 0;
}

// The Citus backend a worker backend works for: the global pid Citus puts in the application
// name of every connection it opens to a node ("citus_internal gpid=<n>"), as this connection's
// startup packet gave it (SET application_name does not change it). 0 for any other connection.
uint64 startup_gpid() {
    if (MyProcPort == nullptr || MyProcPort->application_name == nullptr) return 0;
    static const char prefix[] = "citus_internal gpid=";
    const char* name = MyProcPort->application_name;
    if (strncmp(name, prefix, sizeof prefix - 1) != 0) return 0;
    uint64 gpid = 0;
    for (const char* c = name + sizeof prefix - 1; *c != '\0'; ++c) {
        if (*c < '0' || *c > '9' || gpid > (PG_UINT64_MAX - 9) / 10) return 0;
        gpid = gpid * 10 + static_cast<uint64>(*c - '0');
    }
    return gpid;
}

// What a ticket is bound to under Citus, as "gpid:<g>/<initiator>:<number>:<stamp>": the global
// pid of the coordinator backend that sealed it, and its distributed transaction (the stamp in
// microseconds). On the coordinator (seal), the transaction is started first if it has no
// distributed id yet, and the global pid is this backend's; on a worker, the global pid is the
// one Citus stamped into this connection when it opened it, which no SQL can change, and the
// transaction is the id Citus assigned it. A session of the same role that copies a ticket runs
// on connections stamped with its own global pid: the ticket never matches there.
std::string citus_transaction(bool seal) {
    if (!citus_loaded()) return std::string();
    char buf[160] = "";
    pg_call([&]() noexcept {
        if (seal) {
            using UseCoordinated = void (*)(void);
            auto start = reinterpret_cast<UseCoordinated>(
                load_external_function("$libdir/citus", "UseCoordinatedTransaction", true, nullptr));
            start();
        }
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens: SPI_connect failed");
        if (SPI_execute("SELECT t.initiator_node_identifier, t.transaction_number, "
                        "(pg_catalog.extract('epoch', t.transaction_stamp) * 1000000)::pg_catalog.int8, "
                        "pg_catalog.citus_backend_gpid() "
                        "FROM pg_catalog.get_current_transaction_id() AS t",
                        true, 1) != SPI_OK_SELECT ||
            SPI_processed != 1)
            elog(ERROR, "hive_tokens: reading the Citus distributed transaction failed");
        bool n1 = false, n2 = false, n3 = false, n4 = false;
        HeapTuple row = SPI_tuptable->vals[0];
        TupleDesc desc = SPI_tuptable->tupdesc;
        const int32 initiator = DatumGetInt32(SPI_getbinval(row, desc, 1, &n1));
        const int64 number = DatumGetInt64(SPI_getbinval(row, desc, 2, &n2));
        const int64 stamp = n2 ? 0 : DatumGetInt64(SPI_getbinval(row, desc, 3, &n3));
        const int64 own_gpid = DatumGetInt64(SPI_getbinval(row, desc, 4, &n4));
        const uint64 gpid = seal ? (n4 ? 0 : static_cast<uint64>(own_gpid)) : startup_gpid();
        if (!n1 && !n2 && !n3 && number != 0 && gpid != 0)
            snprintf(buf, sizeof buf, "gpid:" UINT64_FORMAT "/%d:" INT64_FORMAT ":" INT64_FORMAT, gpid, initiator, number,
                     stamp);
        SPI_finish();
    });
    if (seal && buf[0] == '\0')
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "Citus gave this transaction no distributed transaction id or global pid",
                          "A ticket is bound to the backend and the distributed transaction it was set in.");
    // a connection Citus did not open, or outside any distributed transaction, matches no ticket
    return buf[0] == '\0' ? std::string("none") : std::string(buf);
}

// Without Citus, a ticket is bound to the transaction that sealed it: this server's start, the
// backend's start and pid (virtual transaction ids start again after a crash-restart, the
// server's start time does not change), and the transaction's virtual id, as pg_locks shows it.
// No other transaction can take it.
std::string local_transaction() {
    const int64 unix_offset = static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
    char buf[160];
    snprintf(buf, sizeof buf, "local:" INT64_FORMAT ":" INT64_FORMAT ":%d:%d/%u", PgStartTime + unix_offset,
             MyStartTimestamp + unix_offset, MyProcPid, MyProc->backendId, MyProc->lxid);
    return std::string(buf);
}

// Whether this backend publishes the statements Citus sends it, where other sessions of the same
// role could read a ticket: pg_stat_activity (track_activities) or pg_stat_statements recording
// utility statements (all of them, or, with nested = true, also those run by functions). Returns
// why, or nullptr. A ticket is refused where it may have been seen; on the coordinator, none is
// sealed where it would be recorded.
const char* ticket_exposure(bool nested) {
    if (!nested && pgstat_track_activities)
        return "track_activities is on here, so pg_stat_activity shows the statement that carried it to every session of "
               "its role";
    const char* track = nullptr;
    const char* utility = nullptr;
    pg_call([&]() noexcept {
        track = GetConfigOption("pg_stat_statements.track", true, false);
        utility = GetConfigOption("pg_stat_statements.track_utility", true, false);
    });
    if (track != nullptr && utility != nullptr && strcmp(utility, "off") != 0 &&
        (nested ? strcmp(track, "all") == 0 : strcmp(track, "none") != 0))
        return "pg_stat_statements records utility statements here (pg_stat_statements.track_utility), ticket included";
    return nullptr;
}

std::string this_transaction(bool assign) {
    return citus_loaded() ? citus_transaction(assign) : local_transaction();
}

// Whether Citus would send this transaction's statements, ticket included, to this very node over
// a connection whose statement every session of the role can read: with local execution off
// (which any role may set for itself), or while this node holds placements and publishes its
// statements (track_activities). Returns why, or nullptr.
const char* coordinator_exposure() {
    const char* local = nullptr;
    pg_call([&]() noexcept { local = GetConfigOption("citus.enable_local_execution", true, false); });
    if (local != nullptr && strcmp(local, "on") != 0)
        return "citus.enable_local_execution is off: Citus would reach this node's placements over a connection to "
               "itself, whose statement (with the ticket) other sessions of the role can read";
    if (!pgstat_track_activities) return nullptr;
    bool placements = true;  // unless shown otherwise
    pg_call([&]() noexcept {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens: SPI_connect failed");
        if (SPI_execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_placement AS p, pg_catalog.pg_dist_local_group AS g "
                        "WHERE p.groupid = g.groupid)",
                        true, 1) == SPI_OK_SELECT &&
            SPI_processed == 1) {
            bool isnull = true;
            Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
            placements = isnull || DatumGetBool(d);
        }
        SPI_finish();
    });
    return placements ? "this node holds placements and track_activities is on: Citus may send it this transaction's "
                        "statements, ticket included, over a connection whose statement other sessions of the role can "
                        "read"
                      : nullptr;
}

// The Citus functions that would let the sealing role take another transaction's id, or run SQL
// on the workers (where it could read the tickets other sessions of the role were sent), that
// it may execute here: "" when none.
std::string citus_escape_hatches() {
    // the role itself, every role it may become (SET ROLE, also without INHERIT), and every role
    // other than a superuser that may become it
    return spi_first_text(
        "SELECT pg_catalog.string_agg(DISTINCT p.oid::pg_catalog.regprocedure::pg_catalog.text || "
        "CASE WHEN r.rolname = CURRENT_USER THEN '' ELSE ' (as ' || pg_catalog.quote_ident(r.rolname) || ')' END, ', ') "
        "FROM pg_catalog.pg_proc AS p, pg_catalog.pg_roles AS r "
        "WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace "
        "AND p.proname IN ('assign_distributed_transaction_id', 'run_command_on_workers', "
        "'run_command_on_all_nodes', 'run_command_on_coordinator', 'run_command_on_shards', "
        "'run_command_on_placements', 'run_command_on_colocated_placements', 'master_run_on_worker') "
        "AND (pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER') "
        "     OR (NOT r.rolsuper AND pg_catalog.pg_has_role(r.oid, CURRENT_USER, 'MEMBER'))) "
        "AND pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')",
        "Citus's functions");
}

// Where the current role, or a role it may become, could have planted code: the schemas it may
// create objects in, and the functions it owns (which it may replace); "" when none. Such a role
// can put a function where its own search_path (ALTER ROLE ... SET, which every role may do for
// itself) finds it first, and Citus's own statements call some by unqualified names in every
// transaction they open on a worker (assign_distributed_transaction_id, right after the SET LOCAL
// that carries the ticket): the function would run in other sessions of the role, while they hold
// their principal (found while reviewing the fourth round's fix).
std::string planting_grounds() {
    // functions owned: through pg_shdepend's index on the owning role, not a scan of pg_proc (this
    // runs in every transaction that seals or takes a ticket). Pinned roles' ownership (the
    // predefined roles, the bootstrap superuser: oids below FirstUnpinnedObjectId) is not recorded
    // there, so pg_proc is scanned for them, and only when the role may become one.
    return spi_first_text(
        "WITH r AS (SELECT a.oid, a.rolname FROM pg_catalog.pg_roles AS a "
        "           WHERE pg_catalog.pg_has_role(CURRENT_USER, a.oid, 'MEMBER')) "
        "SELECT pg_catalog.concat_ws('; ', "
        " (SELECT 'may create objects in schema ' || pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(n.nspname) || "
        "    CASE WHEN r.rolname = CURRENT_USER THEN '' ELSE ' (as ' || pg_catalog.quote_ident(r.rolname) || ')' END, ', ') "
        "  FROM pg_catalog.pg_namespace AS n, r "
        "  WHERE n.nspname !~ '^pg_(toast_)?temp_' AND n.nspname <> 'pg_toast' "
        "  AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')), "
        " (SELECT 'owns ' || pg_catalog.count(*) || ' function(s), such as ' || pg_catalog.min(p.oid::pg_catalog.regprocedure::pg_catalog.text) "
        "  FROM (SELECT d.objid AS oid FROM pg_catalog.pg_shdepend AS d "
        "        WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.refobjid IN (SELECT r.oid FROM r) "
        "        AND d.deptype = 'o' AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
        "        AND d.dbid = (SELECT b.oid FROM pg_catalog.pg_database AS b WHERE b.datname = pg_catalog.current_database()) "
        "        UNION "
        "        SELECT f.oid FROM pg_catalog.pg_proc AS f "
        "        WHERE EXISTS (SELECT FROM r WHERE r.oid < 12000) AND f.proowner IN (SELECT r.oid FROM r WHERE r.oid < 12000)) AS o "
        "  JOIN pg_catalog.pg_proc AS p ON p.oid = o.oid "
        "  JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace "
        "  WHERE n.nspname !~ '^pg_(toast_)?temp_' "
        "  HAVING pg_catalog.count(*) > 0))",
        "the schemas and functions");
}

// Why a worker must take no ticket here whatever it says (docs/scale-out.md, layers 2 and 4), or
// "": the library was loaded too late to keep Citus's backend names from being claimed, or the
// role could have left code that runs in this transaction.
std::string worker_unfit() {
    if (!citus_loaded()) return std::string();
    if (!g_preloaded)
        return "hive_tokens is not in shared_preload_libraries here, so a session may have claimed another backend's "
               "Citus global pid before it was loaded";
    const std::string grounds = planting_grounds();
    // names of this server's schemas and functions, never the ticket
    return grounds.empty() ? grounds : "the role " + grounds + " here, so code it planted may be running in this transaction";
}

// What sealing a ticket here requires of the deployment (docs/scale-out.md); throws
// core::Error(ObjectNotInPrerequisiteState) naming what is missing.
void check_can_seal(const char* role) {
    const char* propagate = nullptr;
    pg_call([&]() noexcept { propagate = GetConfigOption("citus.propagate_set_commands", true, false); });
    // Without propagation the workers would never see the ticket: every distributed read would be
    // empty. Say so now rather than answer with nothing.
    if (propagate != nullptr && strcmp(propagate, "local") != 0)
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "hive_tokens.issue_tickets needs citus.propagate_set_commands = 'local'",
                          "Citus sends a transaction's SET LOCAL commands to its workers only with that setting; "
                          "without the ticket the workers see no principal.",
                          "Set citus.propagate_set_commands = 'local' on the coordinator (postgresql.conf or ALTER "
                          "ROLE ... SET).");
    if (const char* why = ticket_exposure(true))
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "hive_tokens.issue_tickets would publish the ticket", why,
                          "Set pg_stat_statements.track_utility = off, or pg_stat_statements.track to top or none, on the "
                          "coordinator; see docs/scale-out.md.");
    if (!citus_loaded()) return;
    if (!g_preloaded)
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "hive_tokens.issue_tickets needs hive_tokens in shared_preload_libraries",
                          "Loaded later, it cannot keep a session from claiming another backend's Citus global pid, "
                          "which tickets are bound to.",
                          "Set shared_preload_libraries = 'citus,hive_tokens' on every node and restart.");
    if (const char* why = coordinator_exposure())
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState, "hive_tokens.issue_tickets would publish the ticket",
                          why, "See docs/scale-out.md, \"What the ticket is, and what the deployment must hold\".");
    const std::string hatches = citus_escape_hatches();
    if (!hatches.empty())
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "hive_tokens.issue_tickets needs a role that cannot run SQL on the workers nor take "
                          "another transaction's id",
                          "Role " + std::string(role) + " may execute " + hatches +
                              ": with them a session could replay the ticket of another session of the role.",
                          "On the coordinator, REVOKE EXECUTE ON FUNCTION ... FROM PUBLIC for each of them (and from "
                          "the role, if granted); see docs/scale-out.md.");
    const std::string grounds = planting_grounds();
    if (!grounds.empty())
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          "hive_tokens.issue_tickets needs a role that owns no functions and can create no objects",
                          "Role " + std::string(role) + " " + grounds +
                              ": with its own search_path it could plant functions that Citus calls in the worker "
                              "transactions of other sessions of the role, while they hold their principal.",
                          "Have another role own the schemas and functions and run the migrations; REVOKE CREATE ON "
                          "SCHEMA ... FROM the role (and from PUBLIC); see docs/scale-out.md.");
}

}  // namespace

void hive_tokens::pg::set_ticket(bool is_token, const core::Uuid& token_id, bool has_user, const core::Uuid& user_id,
                                 const core::PrincipalPolicy& policy) {
    const Here here = here_and_now();
    if (here.database == nullptr || here.role == nullptr)
        throw core::Error(core::ErrorKind::Internal, "this database or the current role has no name");
    check_can_seal(here.role);
    core::Ticket t;
    for (const std::string& name : current_catalog().names(policy.scopes())) {
        if (!t.scopes.empty()) t.scopes += ',';
        t.scopes += name;
    }
    t.resources = core::json::to_string(core::to_json(policy.assignment()));
    t.database = here.database;
    t.role = here.role;
    t.issued_at = here.now;
    t.expires_at = here.now + static_cast<std::int64_t>(ticket_lifetime) * USECS_PER_SEC;
    t.is_token = is_token;
    t.token_id = token_id;
    t.has_user = has_user;
    t.user_id = user_id;
    t.organization = policy.organization();
    t.transaction = this_transaction(true);
    // base64url and dots only: nothing to quote
    const std::string statement = "SET LOCAL hive_tokens.ticket = '" + core::seal_ticket(current_keyring().issuing(), t) + "'";
    pg_call([&]() noexcept {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens: SPI_connect failed");
        if (SPI_execute(statement.c_str(), false, 0) != SPI_OK_UTILITY) elog(ERROR, "hive_tokens: setting the ticket failed");
        SPI_finish();
    });
}

namespace {

void refused(const char* why) {
    pg_call([&]() noexcept {
        ereport(LOG, (errmsg("hive_tokens: ticket refused: %s", why),
                      errdetail("This transaction has no principal: row-level security shows it no rows."),
                      errhidestmt(true), errhidecontext(true)));
    });
}

}  // namespace

bool hive_tokens::pg::open_current_ticket(TicketPrincipal* out) {
    if (ticket_setting == nullptr || ticket_setting[0] == '\0') return false;
    if (!IsTransactionState() || IsParallelWorker() || InSecurityRestrictedOperation()) return false;
    if (const char* why = ticket_exposure(false)) {
        refused(why);
        return false;
    }
    const core::Keyring& ring = current_keyring();
    const Here here = here_and_now();
    if (here.database == nullptr || here.role == nullptr) {
        refused("no database or role name");
        return false;
    }
    std::string unfit = worker_unfit();
    if (unfit.empty()) {
        const std::string holds = session_holdings();  // names of this session's own objects
        if (!holds.empty()) unfit = "this session holds " + holds + ", which may run in this transaction";
    }
    if (!unfit.empty()) {
        refused(unfit.c_str());
        return false;
    }
    const std::string transaction = this_transaction(false);
    core::Ticket t;
    const core::TicketCheck check = core::open_ticket(ticket_setting, ring, here.now, here.database, here.role, transaction, &t);
    if (check != core::TicketCheck::Ok) {
        refused(core::ticket_check_name(check));
        return false;
    }
    if (t.is_token && !token_is_live(t.token_id, t.organization)) {
        refused("its token is revoked, expired or not here");
        return false;
    }
    const core::PermissionCatalog& cat = current_catalog();
    core::Scopes scopes = core::Scopes::none();
    std::string_view names(t.scopes);
    while (!names.empty()) {
        const std::size_t comma = names.find(',');
        // a permission this node does not define grants nothing here
        if (const core::Permission* p = cat.find(names.substr(0, comma))) scopes.set(p->bit);
        names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
    }
    Jsonb* resources = nullptr;
    pg_call([&]() noexcept { resources = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(t.resources.c_str()))); });
    out->is_token = t.is_token;
    out->token_id = t.token_id;
    out->has_user = t.has_user;
    out->user_id = t.user_id;
    out->organization = t.organization;
    out->scopes = scopes;
    out->assignment = core::parse_assignment(jsonb_value(resources));
    return true;
}
