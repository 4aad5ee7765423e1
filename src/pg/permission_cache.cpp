// The permission catalog (table hive_tokens.permissions) as this backend's core::PermissionCatalog,
// reloaded after any change anywhere (a relcache invalidation sent by the trigger below).
//
// Entry point (hive_tokens_internal): permissions_changed() (trigger).
#include "permission_cache.h"

#include <memory>

#include "../core/error.h"
#include "columns.h"
#include "guard.h"

extern "C" {
#include "storage/lock.h"
#include "utils/resowner.h"
#include "utils/inval.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace hive_tokens::pg {

unsigned long g_catalog_generation = 0;

namespace {

std::unique_ptr<core::PermissionCatalog> g_catalog;
// The catalog replaced by the last reload, kept alive so that a reference a caller took just
// before an invalidation arrived stays valid until the next reload.
std::unique_ptr<core::PermissionCatalog> g_previous;
bool g_stale = true;  // the callback only marks: references handed out stay valid until the next load
Oid g_relid = InvalidOid;

void relcache_callback(Datum, Oid relid) {
    if (relid == InvalidOid || relid == g_relid) {
        g_stale = true;
        ++g_catalog_generation;  // parse results cached by ? and friends are stale from now on
    }
}

// One row of the table, as plain palloc'd data (collected inside pg_call, no C++ objects).
struct Row {
    int bit;
    char* name;
    char* level;
    char* group;
    char* label;
    bool assignable;
    bool retired;
    int ndeps;
    char** deps;
};

char* text_or_empty(Datum d, bool isnull) { return isnull ? pstrdup("") : TextDatumGetCString(d); }

void read_rows(Oid relid, Row** rows_out, int* nrows_out) noexcept {
    Relation rel = table_open(relid, AccessShareLock);
    TupleDesc desc = RelationGetDescr(rel);
    auto column = [&](const char* name) { return hive_tokens::pg::column_index(desc, "permissions", name); };
    int c_bit = column("bit_number"), c_name = column("name"), c_level = column("level"), c_group = column("group"),
        c_label = column("label"), c_assignable = column("assignable"), c_retired = column("retired"),
        c_deps = column("depends_on");
    Snapshot snap = IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot();
    SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snap, 0, nullptr);
    int cap = 64, n = 0;
    Row* rows = static_cast<Row*>(palloc(sizeof(Row) * cap));
    Datum* values = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
    bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
    HeapTuple tup;
    while (HeapTupleIsValid(tup = systable_getnext(scan))) {
        if (n == cap) {
            cap *= 2;
            rows = static_cast<Row*>(repalloc(rows, sizeof(Row) * cap));
        }
        heap_deform_tuple(tup, desc, values, nulls);
        Row& r = rows[n++];
        r.bit = nulls[c_bit] ? -1 : DatumGetInt16(values[c_bit]);
        r.name = text_or_empty(values[c_name], nulls[c_name]);
        r.level = text_or_empty(values[c_level], nulls[c_level]);
        r.group = text_or_empty(values[c_group], nulls[c_group]);
        r.label = text_or_empty(values[c_label], nulls[c_label]);
        r.assignable = !nulls[c_assignable] && DatumGetBool(values[c_assignable]);
        r.retired = !nulls[c_retired] && DatumGetBool(values[c_retired]);
        r.ndeps = 0;
        r.deps = nullptr;
        if (!nulls[c_deps]) {
            Datum* elems;
            bool* enulls;
            deconstruct_array(DatumGetArrayTypeP(values[c_deps]), TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls,
                              &r.ndeps);
            r.deps = static_cast<char**>(palloc(sizeof(char*) * (r.ndeps > 0 ? r.ndeps : 1)));
            for (int i = 0; i < r.ndeps; ++i) r.deps[i] = text_or_empty(elems[i], enulls[i]);
        }
    }
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    *rows_out = rows;
    *nrows_out = n;
}

}  // namespace


namespace {
void load();
}

const core::PermissionCatalog& current_catalog() {
    static bool registered = false;
    if (!registered) {
        CacheRegisterRelcacheCallback(relcache_callback, 0);
        registered = true;
    }
    if (g_catalog && !g_stale) return *g_catalog;

    // Cleared before reading: an invalidation that arrives while we read marks it stale again.
    g_stale = false;
    try {
        load();
    } catch (...) {
        g_stale = true;
        throw;
    }
    return *g_catalog;
}

void lock_held_bits(bool registering) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(kHeldBitsLockClass),
                         static_cast<uint32>(kHeldBitsLockObject), 2);
    const Oid catalog = registering ? get_relname_relid("permissions", get_namespace_oid("hive_tokens", false)) : InvalidOid;
    ResourceOwner saved = CurrentResourceOwner;
    CurrentResourceOwner = TopTransactionResourceOwner;
    PG_TRY();
    {
        (void)LockAcquire(&tag, registering ? ExclusiveLock : ShareLock, false, false);
        if (OidIsValid(catalog)) LockRelationOid(catalog, ShareRowExclusiveLock);
    }
    PG_FINALLY();
    {
        CurrentResourceOwner = saved;
    }
    PG_END_TRY();
}

const core::PermissionCatalog& hold_undefined_bits() {
    pg_call([]() noexcept {
        // held until the transaction ends, even when the subtransaction that read the value
        // rolls back (the value may live on in a variable)
        lock_held_bits(false);
        AcceptInvalidationMessages();  // a registration we waited for is in the catalog now
    });
    return current_catalog();
}

const core::Permission& find_action(std::string_view name) {
    const core::PermissionCatalog& cat = current_catalog();
    const core::Permission* p = cat.find(name);
    if (p == nullptr) {
        std::string near = cat.suggest(name);
        throw core::Error(core::ErrorKind::UndefinedObject, "unknown action \"" + core::shown(name) + "\"", "",
                          near.empty() ? "Actions are permission names such as \"usage:report\"."
                                       : "Did you mean \"" + near + "\"?");
    }
    return *p;
}

namespace {
void load() {
    Row* rows = nullptr;
    int n = 0;
    pg_call([&]() noexcept {
        Oid nsp = get_namespace_oid("hive_tokens", false);
        g_relid = get_relname_relid("permissions", nsp);
        if (!OidIsValid(g_relid))
            ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation hive_tokens.permissions does not exist")));
        read_rows(g_relid, &rows, &n);
    });
    auto cat = std::make_unique<core::PermissionCatalog>();
    for (int i = 0; i < n; ++i) {
        core::Level level;
        if (!core::level_from_name(rows[i].level, &level))
            throw core::Error(core::ErrorKind::Internal,
                              std::string("permission \"") + rows[i].name + "\" has an unknown level");
        std::vector<std::string> deps(rows[i].deps, rows[i].deps + rows[i].ndeps);
        cat->add(rows[i].bit, rows[i].name, level, rows[i].group, rows[i].label, rows[i].assignable, rows[i].retired,
                 std::move(deps));
    }
    cat->finalize();
    g_previous = std::move(g_catalog);
    g_catalog = std::move(cat);
    ++g_catalog_generation;
}
}  // namespace

}  // namespace hive_tokens::pg

// Statement-level AFTER trigger on hive_tokens.permissions: tells every backend (at commit) and
// this one (at its next command) to reload the catalog.
HT_FUNCTION(permissions_changed) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errextension(), errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("must be called as a trigger")));
    TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
    CacheInvalidateRelcache(td->tg_relation);
    return PointerGetDatum(nullptr);
}

