// What a registration must not hand out: every bit any stored permission set holds, defined by
// the catalog or not (a restore that loaded grants before the catalog, or without it).
//
// register_permission() calls held_bits() once, holding the advisory lock that keeps new values
// with undefined bits out (hold_undefined_bits()). It reads every column that can hold a set
// (hive_tokens_internal.stored_scopes_columns(): the set itself or a domain, array, composite,
// range or multirange over it, at any depth) of every ordinary table and populated materialized
// view this session can read, with one snapshot, after locking all of them: a value moved from one
// table to another (which runs no input function) is seen in one place or the other, never
// missed between two scans, and no table is rewritten under the scan. The scan is a plain heap
// scan: no planner (which would fold index and statistics expressions, running their owner's
// functions), no row security, no code of the table's owner; containers are walked structurally,
// never printed (a set prints as a kilobyte of names).
//
// Entry point (hive_tokens_internal): held_bits.
#include "../core/scopes.h"
#include "guard.h"
#include "permission_cache.h"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "miscadmin.h"
#include "utils/multirangetypes.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace core = hive_tokens::core;

namespace {

// Which types hold a set somewhere inside, worked out once per type per call (a hash table
// without a cap: with a capped memo a wide type referenced many times was walked again and again,
// exponentially). Types cannot contain themselves, so no answer is ever cut short; the stack check
// turns an absurdly deep nesting into an error, never a wrong answer.
struct MemoEntry {
    Oid type;  // hash key
    bool holds;
};

struct Walker {
    Oid scopes_type;
    Oid stored_type;
    bool held[core::kScopeBits];
    HTAB* memo;
};

bool holds_sets(Walker* w, Oid type);

bool holds_sets_uncached(Walker* w, Oid type) {
    check_stack_depth();
    CHECK_FOR_INTERRUPTS();
    type = getBaseType(type);
    if (type == w->scopes_type || type == w->stored_type) return true;
    if (type < FirstNormalObjectId) return false;  // built-in types hold none of ours
    Oid elem = get_element_type(type);
    if (OidIsValid(elem)) return holds_sets(w, elem);
    if (type_is_rowtype(type)) {
        TupleDesc desc = lookup_rowtype_tupdesc(type, -1);
        bool any = false;
        for (int i = 0; i < desc->natts && !any; ++i)
            if (!TupleDescAttr(desc, i)->attisdropped) any = holds_sets(w, TupleDescAttr(desc, i)->atttypid);
        ReleaseTupleDesc(desc);
        return any;
    }
    if (type_is_range(type)) return holds_sets(w, get_range_subtype(type));
    if (type_is_multirange(type)) return holds_sets(w, get_multirange_range(type));
    return false;
}

bool holds_sets(Walker* w, Oid type) {
    bool found;
    auto* e = static_cast<MemoEntry*>(hash_search(w->memo, &type, HASH_FIND, &found));
    if (found) return e->holds;
    bool h = holds_sets_uncached(w, type);
    e = static_cast<MemoEntry*>(hash_search(w->memo, &type, HASH_ENTER, &found));
    e->holds = h;
    return h;
}

// Marks the bits a value of this type holds, at any depth.
void walk(Walker* w, Datum value, Oid type, int depth) {
    check_stack_depth();  // as deep as the type nests, no deeper: an error past the stack, never a skip
    CHECK_FOR_INTERRUPTS();
    if (!holds_sets(w, type)) return;
    type = getBaseType(type);
    if (type == w->scopes_type || type == w->stored_type) {
        const auto* s = reinterpret_cast<const core::Scopes*>(DatumGetPointer(value));
        for (int b = s->next(0); b >= 0; b = s->next(b + 1)) w->held[b] = true;
        return;
    }
    if (OidIsValid(get_element_type(type))) {
        ArrayType* a = DatumGetArrayTypeP(value);
        ArrayIterator it = array_create_iterator(a, 0, nullptr);
        Datum elem;
        bool isnull;
        const Oid elem_type = ARR_ELEMTYPE(a);
        while (array_iterate(it, &elem, &isnull))
            if (!isnull) walk(w, elem, elem_type, depth + 1);
        array_free_iterator(it);
        return;
    }
    if (type_is_rowtype(type)) {
        HeapTupleHeader th = DatumGetHeapTupleHeader(value);
        TupleDesc desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
        HeapTupleData tuple;
        tuple.t_len = HeapTupleHeaderGetDatumLength(th);
        ItemPointerSetInvalid(&tuple.t_self);
        tuple.t_tableOid = InvalidOid;
        tuple.t_data = th;
        for (int i = 0; i < desc->natts; ++i) {
            Form_pg_attribute att = TupleDescAttr(desc, i);
            if (att->attisdropped || !holds_sets(w, att->atttypid)) continue;
            bool isnull;
            Datum v = heap_getattr(&tuple, i + 1, desc, &isnull);
            if (!isnull) walk(w, v, att->atttypid, depth + 1);
        }
        ReleaseTupleDesc(desc);
        return;
    }
    if (type_is_range(type)) {
        RangeType* r = DatumGetRangeTypeP(value);
        TypeCacheEntry* tc = lookup_type_cache(RangeTypeGetOid(r), TYPECACHE_RANGE_INFO);
        RangeBound lower, upper;
        bool empty;
        range_deserialize(tc, r, &lower, &upper, &empty);
        const Oid sub = tc->rngelemtype->type_id;
        if (!empty && !lower.infinite) walk(w, lower.val, sub, depth + 1);
        if (!empty && !upper.infinite) walk(w, upper.val, sub, depth + 1);
        return;
    }
    if (type_is_multirange(type)) {
        MultirangeType* mr = DatumGetMultirangeTypeP(value);
        TypeCacheEntry* tc = lookup_type_cache(MultirangeTypeGetOid(mr), TYPECACHE_MULTIRANGE_INFO);
        int32 n;
        RangeType** ranges;
        multirange_deserialize(tc->rngtype, mr, &n, &ranges);
        for (int32 i = 0; i < n; ++i) walk(w, RangeTypePGetDatum(ranges[i]), tc->rngtype->type_id, depth + 1);
    }
}

struct Column {
    Oid relid;
    char att[NAMEDATALEN];
};

// The columns that can hold a set, as the catalog is now (a fresh snapshot).
Column* candidate_columns(int* n_out) {
    MemoryContext outer = CurrentMemoryContext;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "held_bits: SPI_connect failed");
    if (SPI_execute("SELECT c.tbl::pg_catalog.oid, c.att FROM hive_tokens_internal.stored_scopes_columns() AS c", false, 0) !=
        SPI_OK_SELECT)
        elog(ERROR, "held_bits: reading the columns failed");
    const int n = static_cast<int>(SPI_processed);
    Column* cols = static_cast<Column*>(MemoryContextAllocZero(outer, sizeof(Column) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; ++i) {
        bool isnull;
        cols[i].relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        Datum name = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
        strlcpy(cols[i].att, NameStr(*DatumGetName(name)), NAMEDATALEN);
    }
    SPI_finish();
    *n_out = n;
    return cols;
}

const char* table_name(Oid relid) {
    char* rel = get_rel_name(relid);
    char* nsp = rel ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
    return rel && nsp ? quote_qualified_identifier(nsp, rel) : psprintf("table %u", relid);
}

bool locked_already(const Oid* locked, int n, Oid relid) {
    for (int i = 0; i < n; ++i)
        if (locked[i] == relid) return true;
    return false;
}

// Scans one table's candidate columns with the snapshot, if it is still a table holding sets.
void scan_table(Walker* w, Oid relid, const Column* cols, int ncols, Snapshot snap, MemoryContext per_row) {
    if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid))) return;  // dropped meanwhile
    Relation rel = table_open(relid, NoLock);  // locked by the caller
    const char kind = rel->rd_rel->relkind;
    if (!(kind == RELKIND_RELATION || kind == RELKIND_MATVIEW) || (kind == RELKIND_MATVIEW && !RelationIsPopulated(rel))) {
        table_close(rel, NoLock);
        return;
    }
    if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)  // fail closed: its rows cannot be read here
        ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot read the permission sets in %s: it does not use the heap access method",
                               table_name(relid))));
    TupleDesc desc = RelationGetDescr(rel);
    AttrNumber attnums[MaxHeapAttributeNumber];
    Oid types[MaxHeapAttributeNumber];
    int natt = 0;
    for (int i = 0; i < ncols; ++i) {
        if (cols[i].relid != relid) continue;
        // the column as it is now, under the lock: its current type decides how it is read
        for (int a = 0; a < desc->natts; ++a) {
            Form_pg_attribute att = TupleDescAttr(desc, a);
            if (!att->attisdropped && strcmp(NameStr(att->attname), cols[i].att) == 0 && holds_sets(w, att->atttypid)) {
                attnums[natt] = att->attnum;
                types[natt++] = att->atttypid;
            }
        }
    }
    if (natt > 0) {
        TableScanDesc scan = table_beginscan(rel, snap, 0, nullptr);
        HeapTuple tup;
        while ((tup = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
            MemoryContext old = MemoryContextSwitchTo(per_row);
            for (int i = 0; i < natt; ++i) {
                bool isnull;
                Datum v = heap_getattr(tup, attnums[i], desc, &isnull);
                if (!isnull) walk(w, v, types[i], 0);
            }
            MemoryContextSwitchTo(old);
            MemoryContextReset(per_row);
        }
        table_endscan(scan);
    }
    table_close(rel, NoLock);
}

}  // namespace

// held_bits() -> int2[] (hive_tokens_internal): every bit any stored set holds. 55P03 naming the
// table when another transaction holds one exclusively (never waited for: a registration does not
// deadlock with a restore; it fails and can be retried).
HT_FUNCTION(held_bits) {
    Walker* w = static_cast<Walker*>(palloc0(sizeof(Walker)));
    Oid nsp = get_namespace_oid("hive_tokens", false);
    w->scopes_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("scopes"), ObjectIdGetDatum(nsp));
    w->stored_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("stored_scopes"), ObjectIdGetDatum(nsp));
    HASHCTL hc;
    memset(&hc, 0, sizeof hc);
    hc.keysize = sizeof(Oid);
    hc.entrysize = sizeof(MemoEntry);
    hc.hcxt = CurrentMemoryContext;
    w->memo = hash_create("hive_tokens held types", 256, &hc, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
    // register_permission() took the registration lock (exclusive) and locked the catalog in the
    // caller's subtransaction: hold both to the end of the transaction, even if that subtransaction
    // rolls back, or a value made from the rolled-back registration (a bit defined only inside it)
    // could be stored with nothing holding its bit against the next registration.
    hive_tokens::pg::lock_held_bits(true);
    // Lock every candidate table, then take the snapshot, then look again: a table that appeared
    // in between (a value may have moved into it before the snapshot) is locked and the round
    // repeats. Every table existing when the snapshot is taken is then locked, and none of them
    // can be rewritten under the scan.
    int nlocked = 0, cap = 64;
    Oid* locked = static_cast<Oid*>(palloc(sizeof(Oid) * cap));
    Column* cols = nullptr;
    int ncols = 0;
    Snapshot snap = nullptr;
    for (int round = 0;; ++round) {
        cols = candidate_columns(&ncols);
        bool added = false;
        for (int i = 0; i < ncols; ++i) {
            if (locked_already(locked, nlocked, cols[i].relid)) continue;
            if (!ConditionalLockRelationOid(cols[i].relid, AccessShareLock))
                ereport(ERROR, (errextension(), errcode(ERRCODE_LOCK_NOT_AVAILABLE),
                                errmsg("cannot read the permission sets in %s: another transaction holds the table",
                                       table_name(cols[i].relid)),
                                errhint("Retry the registration when that transaction ends (a restore, a TRUNCATE, a "
                                        "REFRESH or an ALTER TABLE).")));
            if (nlocked == cap) {
                cap *= 2;
                locked = static_cast<Oid*>(repalloc(locked, sizeof(Oid) * cap));
            }
            locked[nlocked++] = cols[i].relid;
            added = true;
        }
        if (snap != nullptr && !added) break;
        if (round == 8)
            ereport(ERROR, (errextension(), errcode(ERRCODE_LOCK_NOT_AVAILABLE),
                            errmsg("cannot read the permission sets: tables holding them keep being created"),
                            errhint("Retry the registration.")));
        if (snap != nullptr) UnregisterSnapshot(snap);
        snap = RegisterSnapshot(GetLatestSnapshot());
    }
    MemoryContext per_row = AllocSetContextCreate(CurrentMemoryContext, "hive_tokens held bits", ALLOCSET_DEFAULT_SIZES);
    for (int i = 0; i < nlocked; ++i) scan_table(w, locked[i], cols, ncols, snap, per_row);
    MemoryContextDelete(per_row);
    UnregisterSnapshot(snap);
    Datum bits[core::kScopeBits];
    int n = 0;
    for (int b = 0; b < core::kScopeBits; ++b)
        if (w->held[b]) bits[n++] = Int16GetDatum(static_cast<int16>(b));
    PG_RETURN_ARRAYTYPE_P(construct_array(bits, n, INT2OID, sizeof(int16), true, TYPALIGN_SHORT));
}
