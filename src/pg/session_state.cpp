// Objects a session keeps from one transaction to the next (session_state.h).
#include "session_state.h"

#include <string>

#include "../core/error.h"
#include "pg_includes.h"
#include "spi_text.h"

extern "C" {
#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::spi_first_text;

bool hive_tokens::pg::allow_session_objects = false;

namespace {

object_access_hook_type g_prior_object_access = nullptr;
ProcessUtility_hook_type g_prior_process_utility = nullptr;
// Whether the session may hold such objects: set by every object created, every SQL PREPARE and
// every rollback, cleared by a check that found none. True at load: objects made before the
// library was loaded in this backend were not seen.
bool g_maybe_holds = true;

// A rollback brings back what the rolled-back (sub)transaction dropped, after a check in it may
// have found nothing (the seventh review dropped its objects, called try_authenticate(NULL) and
// rolled back): the session may hold objects again.
void on_xact(XactEvent event, void*) {
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) g_maybe_holds = true;
}

void on_subxact(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
    if (event == SUBXACT_EVENT_ABORT_SUB) g_maybe_holds = true;
}

// Plain C frames only below: PostgreSQL may longjmp through them.
void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void* arg) {
    if (access == OAT_POST_CREATE) g_maybe_holds = true;
    if (g_prior_object_access != nullptr) g_prior_object_access(access, class_id, object_id, sub_id, arg);
}

void on_utility(PlannedStmt* pstmt, const char* query, bool read_only_tree, ProcessUtilityContext context,
                ParamListInfo params, QueryEnvironment* env, DestReceiver* dest, QueryCompletion* qc) {
    if (pstmt->utilityStmt != nullptr && IsA(pstmt->utilityStmt, PrepareStmt)) g_maybe_holds = true;
    if (g_prior_process_utility != nullptr)
        g_prior_process_utility(pstmt, query, read_only_tree, context, params, env, dest, qc);
    else
        standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
}

// What the session holds, as "2 temporary objects (pg_temp.text, ...) and 1 statement prepared
// with SQL (s1)", or "" when nothing. Names are the session's own, never a token.
std::string held() {
    // every object in the temporary schema records a dependency on it (an automatic array type
    // depends on its element type instead, so none is counted twice); a domain over an array, a
    // text search configuration or a collation there counts as much as a table
    return spi_first_text(
        "WITH t AS (SELECT pg_catalog.regexp_replace(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), "
        "                  'pg_temp_[0-9]+\\.', 'pg_temp.', 'g') AS name "
        "           FROM pg_catalog.pg_depend AS d "
        "           WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
        "           AND d.refobjid = pg_catalog.pg_my_temp_schema() AND d.refobjsubid = 0), "
        "     s AS (SELECT s.name FROM pg_catalog.pg_prepared_statements AS s WHERE s.from_sql) "
        "SELECT pg_catalog.concat_ws(' and ', "
        "  (SELECT (SELECT pg_catalog.count(*) FROM t) || ' temporary object(s) (' || pg_catalog.string_agg(t.name, ', ') || ')' "
        "   FROM (SELECT name FROM t ORDER BY name LIMIT 5) AS t HAVING pg_catalog.count(*) > 0), "
        "  (SELECT (SELECT pg_catalog.count(*) FROM s) || ' statement(s) prepared with SQL (' || pg_catalog.string_agg(s.name, ', ') || ')' "
        "   FROM (SELECT name FROM s ORDER BY name LIMIT 5) AS s HAVING pg_catalog.count(*) > 0)) "
        "WHERE pg_catalog.pg_my_temp_schema() <> 0 OR EXISTS (SELECT FROM s)",
        "the session's objects", /*read_only=*/false);
}

}  // namespace

void hive_tokens::pg::install_session_state_hooks() {
    g_prior_object_access = object_access_hook;
    object_access_hook = on_object_access;
    g_prior_process_utility = ProcessUtility_hook;
    ProcessUtility_hook = on_utility;
    RegisterXactCallback(on_xact, nullptr);
    RegisterSubXactCallback(on_subxact, nullptr);
}

std::string hive_tokens::pg::session_holdings() {
    if (!g_maybe_holds || allow_session_objects) return std::string();
    std::string what = held();
    if (what.empty()) g_maybe_holds = false;
    return what;
}

void hive_tokens::pg::check_session_holds_nothing(const char* function) {
    const std::string what = session_holdings();
    if (what.empty()) return;
    throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                      std::string(function) + "() refuses a session that holds " + what,
                      "Code left in a session by an earlier transaction (a temporary table, view, type or domain "
                      "found before a permanent one of the same name, or a statement that replaced a driver's) would "
                      "run in this transaction with its principal.",
                      "Reset pooled connections between clients (DISCARD ALL), drop temporary objects before the "
                      "transaction ends (ON COMMIT DROP, DISCARD TEMP), and call " + std::string(function) +
                          "() first in the transaction; see docs/writing-rls-policies.md.");
}
