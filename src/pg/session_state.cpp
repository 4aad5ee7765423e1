// Objects a session keeps from one transaction to the next (session_state.h).
#include "session_state.h"

#include <algorithm>
#include <string>
#include <vector>

#include "../core/error.h"
#include "guard.h"
#include "pg_includes.h"
#include "spi_text.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::pg_call;
using hive_tokens::pg::spi_first_text;

bool hive_tokens::pg::allow_session_objects = false;

namespace {

object_access_hook_type g_prior_object_access = nullptr;
ProcessUtility_hook_type g_prior_process_utility = nullptr;
// Whether the session may hold temporary objects: set by every object created and every rollback
// (which brings back what the rolled-back (sub)transaction dropped, after a check in it may have
// found nothing: the seventh review dropped its objects, called try_authenticate(NULL) and rolled
// back); whether it may hold statements prepared with SQL: set by every PREPARE (which no rollback
// undoes or restores). Each is cleared by a check that found none, so a rollback costs the next
// authenticate() one index scan, not the prepared-statement query. True at load: what was made
// before the library was loaded in this backend was not seen.
bool g_maybe_temp = true;
bool g_maybe_prepared = true;

void on_xact(XactEvent event, void*) {
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) g_maybe_temp = true;
}

void on_subxact(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
    if (event == SUBXACT_EVENT_ABORT_SUB) g_maybe_temp = true;
}

// Plain C frames only below: PostgreSQL may longjmp through them.
void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void* arg) {
    if (access == OAT_POST_CREATE) g_maybe_temp = true;
    if (g_prior_object_access != nullptr) g_prior_object_access(access, class_id, object_id, sub_id, arg);
}

void on_utility(PlannedStmt* pstmt, const char* query, bool read_only_tree, ProcessUtilityContext context,
                ParamListInfo params, QueryEnvironment* env, DestReceiver* dest, QueryCompletion* qc) {
    if (pstmt->utilityStmt != nullptr && IsA(pstmt->utilityStmt, PrepareStmt)) g_maybe_prepared = true;
    if (g_prior_process_utility != nullptr)
        g_prior_process_utility(pstmt, query, read_only_tree, context, params, env, dest, qc);
    else
        standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
}

// The objects in this session's temporary schema: how many, and the first few described, sorted.
// Read from pg_depend (every object there records a dependency on its schema; an automatic array
// type depends on its element type instead, so none is counted twice) with the catalog snapshot,
// which is always current: the transaction's own snapshot may be an imported, older one in which
// objects this session has since made do not exist yet (found by the eighth review).
struct TempObjects {
    long count = 0;
    std::vector<std::string> names;
};

TempObjects temp_objects() {
    TempObjects found;
    Oid temp_ns = InvalidOid, temp_toast_ns = InvalidOid;
    GetTempNamespaceState(&temp_ns, &temp_toast_ns);
    if (!OidIsValid(temp_ns)) return found;
    std::vector<std::string> names;
    pg_call([&]() noexcept {
        CommandCounterIncrement();  // also what this statement has made so far
        Relation depend = table_open(DependRelationId, AccessShareLock);
        ScanKeyData key[2];
        ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
                    ObjectIdGetDatum(NamespaceRelationId));
        ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(temp_ns));
        SysScanDesc scan = systable_beginscan(depend, DependReferenceIndexId, true, nullptr, 2, key);
        HeapTuple tuple;
        while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
            const Form_pg_depend d = reinterpret_cast<Form_pg_depend>(GETSTRUCT(tuple));
            if (d->refobjsubid != 0) continue;
            ObjectAddress object{d->classid, d->objid, d->objsubid};
            // only what lives in the schema: any role may record default privileges "in" another
            // backend's temporary schema, which run nothing (the ninth review used them to make
            // every authenticate() there fail)
            if (get_object_namespace(&object) != temp_ns) continue;
            ++found.count;
            if (found.count > 100) continue;  // enough to name the first five
            if (char* description = getObjectDescription(&object, true)) {
                names.emplace_back(description);
                pfree(description);
            }
        }
        systable_endscan(scan);
        table_close(depend, AccessShareLock);
    });
    for (std::string& name : names) {
        // "pg_temp_3.loot" -> "pg_temp.loot": the same in every session
        for (std::size_t at = name.find("pg_temp_"); at != std::string::npos; at = name.find("pg_temp_", at + 1)) {
            std::size_t digits = at + 8;
            while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
            if (digits > at + 8 && digits < name.size() && name[digits] == '.') name.erase(at + 7, digits - at - 7);
        }
    }
    std::sort(names.begin(), names.end());
    if (names.size() > 5) names.resize(5);
    found.names = std::move(names);
    return found;
}

// "3 temporary object(s) (function pg_temp.spy(text), table loot, type text)", or "" for none.
std::string temp_objects_held() {
    const TempObjects temp = temp_objects();
    if (temp.count == 0) return std::string();
    std::string what = std::to_string(temp.count) + " temporary object(s) (";
    for (std::size_t i = 0; i < temp.names.size(); ++i) what += (i ? ", " : "") + temp.names[i];
    return what + ")";
}

// "1 statement(s) prepared with SQL (s1)", or "" for none. They live in this backend's memory,
// outside any snapshot.
std::string statements_held() {
    return spi_first_text(
        "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements WHERE from_sql) "
        "       || ' statement(s) prepared with SQL (' || pg_catalog.string_agg(s.name, ', ') || ')' "
        "FROM (SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql ORDER BY name LIMIT 5) AS s "
        "HAVING pg_catalog.count(*) > 0",
        "the session's prepared statements");
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
    if (allow_session_objects) return std::string();
    std::string what;  // names are the session's own, never a token
    if (g_maybe_temp) {
        what = temp_objects_held();
        if (what.empty()) g_maybe_temp = false;
    }
    if (g_maybe_prepared) {
        const std::string statements = statements_held();
        if (statements.empty())
            g_maybe_prepared = false;
        else
            what += (what.empty() ? "" : " and ") + statements;
    }
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
