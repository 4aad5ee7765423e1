// Lifecycle of issued tokens: the organizations' expiry policies (checked at issue, rotation and
// every use), the immutability of a token row, and the append-only audit log.
//
// Entry points (hive_tokens_internal): expiry_policies_changed (trigger), check_expiry,
// lock_organization, immutable_token (trigger), audit_log_guard (trigger); (hive_tokens):
// purge_audit_log.
#include "lifecycle.h"

#include <algorithm>
#include <vector>

#include "../core/error.h"
#include "columns.h"
#include "guard.h"
#include "usage.h"
#include "uuid_datum.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::pg_call;

namespace {

// ---- expiry policies -------------------------------------------------------------------------

struct PolicyRow {
    core::Uuid organization;
    bool has_max;
    Interval max;
    bool allow_never;
};

std::vector<PolicyRow> g_policies;  // sorted by organization
bool g_policies_stale = true;
Oid g_policies_relid = InvalidOid;  // InvalidOid: the table does not exist (a database at 0.1)
Oid g_tokens_relid = InvalidOid;    // an update of the extension alters access_tokens

void policies_callback(Datum, Oid relid) {
    if (relid == InvalidOid || relid == g_policies_relid || relid == g_tokens_relid) g_policies_stale = true;
}

// The rows of hive_tokens.expiry_policies, palloc'd (inside pg_call: no C++ objects).
void read_policies(PolicyRow** rows_out, int* n_out) noexcept {
    *rows_out = nullptr;
    *n_out = 0;
    Oid nsp = get_namespace_oid("hive_tokens", false);
    g_tokens_relid = get_relname_relid("access_tokens", nsp);
    g_policies_relid = get_relname_relid("expiry_policies", nsp);
    if (!OidIsValid(g_policies_relid)) return;
    Relation rel = table_open(g_policies_relid, AccessShareLock);
    TupleDesc desc = RelationGetDescr(rel);
    auto column = [&](const char* name) { return hive_tokens::pg::column_index(desc, "expiry_policies", name); };
    const int c_org = column("organization_id"), c_max = column("max_lifetime"), c_never = column("allow_never");
    Datum* values = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
    bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
    int cap = 16, n = 0;
    PolicyRow* rows = static_cast<PolicyRow*>(palloc(sizeof(PolicyRow) * cap));
    Snapshot snap = IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot();
    SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snap, 0, nullptr);
    HeapTuple tup;
    while (HeapTupleIsValid(tup = systable_getnext(scan))) {
        heap_deform_tuple(tup, desc, values, nulls);
        if (nulls[c_org]) continue;
        if (n == cap) {
            cap *= 2;
            rows = static_cast<PolicyRow*>(repalloc_huge(rows, sizeof(PolicyRow) * cap));
        }
        PolicyRow& r = rows[n++];
        memcpy(r.organization.b, DatumGetUUIDP(values[c_org])->data, 16);
        r.has_max = !nulls[c_max];
        if (r.has_max) r.max = *DatumGetIntervalP(values[c_max]);
        r.allow_never = nulls[c_never] || DatumGetBool(values[c_never]);
    }
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    *rows_out = rows;
    *n_out = n;
}

void load_policies() {
    static bool registered = false;
    if (!registered) {
        pg_call([]() noexcept { CacheRegisterRelcacheCallback(policies_callback, 0); });
        registered = true;
    }
    if (!g_policies_stale) return;
    g_policies_stale = false;  // an invalidation arriving while we read marks it stale again
    PolicyRow* rows = nullptr;
    int n = 0;
    try {
        pg_call([&]() noexcept { read_policies(&rows, &n); });
        std::vector<PolicyRow> next(rows, rows + n);
        std::sort(next.begin(), next.end(),
                  [](const PolicyRow& a, const PolicyRow& b) { return a.organization < b.organization; });
        g_policies.swap(next);
    } catch (...) {
        g_policies_stale = true;
        throw;
    }
}

const PolicyRow* find_policy(const core::Uuid& org) {
    load_policies();
    if (g_policies.empty()) return nullptr;
    auto it = std::lower_bound(g_policies.begin(), g_policies.end(), org,
                               [](const PolicyRow& r, const core::Uuid& o) { return r.organization < o; });
    return it != g_policies.end() && it->organization == org ? &*it : nullptr;
}

// t + the interval, as timestamptz + interval computes it (months and days on the calendar);
// a result out of range saturates (a policy of 5000 years caps nothing).
TimestampTz plus_interval(TimestampTz t, const Interval& max) {
    TimestampTz out = DT_NOEND;
    Interval copy = max;
    pg_call([&]() noexcept {
        PG_TRY();
        {
            out = DatumGetTimestampTz(
                DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(t), IntervalPGetDatum(&copy)));
        }
        PG_CATCH();
        {
            FlushErrorState();
            out = DT_NOEND;
        }
        PG_END_TRY();
    });
    return out;
}

std::string interval_text(const Interval& max) {
    std::string out;
    Interval copy = max;
    pg_call([&]() noexcept {
        char* s = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(&copy)));
        out.assign(s);  // std::string::assign may throw bad_alloc: kept tiny, as every caller's text
        pfree(s);
    });
    return out;
}

// The advisory lock that orders issuing and rotating (shared) against changing the organization's
// policy (exclusive): pg_locks shows it as advisory, classid 'hive', objid a hash of the
// organization, objsubid 3 (apart from pg_advisory_lock's 1 and 2 and register_permission's).
constexpr uint32 kLockClass = 1751742053;

void lock_organization_policy(const core::Uuid& org, LOCKMODE mode) {
    pg_call([&]() noexcept {
        LOCKTAG tag;
        uint32 h = hash_bytes(org.b, sizeof org.b);
        SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, kLockClass, h, 3);
        (void)LockAcquire(&tag, mode, false, false);
        AcceptInvalidationMessages();  // a policy committed while we waited is read now
    });
}

}  // namespace

bool hive_tokens::pg::expiry_rule(const core::Uuid& organization, TimestampTz created_at, core::ExpiryRule* rule) {
    const PolicyRow* p = find_policy(organization);
    if (p == nullptr) return false;
    rule->has_cap = p->has_max;
    rule->cap = p->has_max ? plus_interval(created_at, p->max) : 0;
    rule->allow_never = p->allow_never;
    return true;
}

namespace {

// Whether this firing is the usage worker's UPDATE changing nothing but last_used_at and
// use_count, which no verification decides on (the worker checked that the table's triggers are
// the install script's, so no trigger changes the row after this one). The statement trigger
// leaves it to the row trigger, which compares each row: any other change, however it comes
// about during the flush (a rule, a function in the table's definition), still invalidates.
// The columns usage tracking writes; any role that may UPDATE the table may change them.
bool is_usage_column(const char* name) { return strcmp(name, "last_used_at") == 0 || strcmp(name, "use_count") == 0; }

bool usage_only(TriggerData* td) {
    if (!hive_tokens::pg::g_usage_flushing || !TRIGGER_FIRED_BY_UPDATE(td->tg_event)) return false;
    if (!TRIGGER_FIRED_FOR_ROW(td->tg_event)) return true;
    TupleDesc desc = RelationGetDescr(td->tg_relation);
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped) continue;
        if (is_usage_column(NameStr(att->attname))) continue;
        bool old_null, new_null;
        Datum old_value = heap_getattr(td->tg_trigtuple, i + 1, desc, &old_null);
        Datum new_value = heap_getattr(td->tg_newtuple, i + 1, desc, &new_null);
        if (old_null != new_null || (!old_null && !datumIsEqual(old_value, new_value, att->attbyval, att->attlen)))
            return false;
    }
    return true;
}

// The body of the invalidation triggers: a relcache invalidation of the table (every backend
// processes it once the change commits; this one at its next command, and again if it aborts;
// hot standbys when they replay the commit). Statement AFTER and row BEFORE (logical
// replication's apply fires row triggers only), both ENABLE ALWAYS; a row goes on unchanged.
Datum invalidate_table(FunctionCallInfo fcinfo, bool tokens) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errextension(), errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("must be called as a trigger")));
    TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (!(tokens && usage_only(td))) CacheInvalidateRelcache(td->tg_relation);
    if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
        return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
    return PointerGetDatum(nullptr);
}

}  // namespace

// Triggers on hive_tokens.expiry_policies: every backend rereads the policies.
HT_FUNCTION(expiry_policies_changed) { return invalidate_table(fcinfo, false); }

// Triggers on hive_tokens.access_tokens: every backend empties its verified-token cache.
HT_FUNCTION(tokens_changed) { return invalidate_table(fcinfo, true); }

// lock_organization(organization uuid) -> void: the policy lock in exclusive mode, until the
// transaction ends (set_expiry_policy).
HT_FUNCTION(lock_organization) {
    if (PG_ARGISNULL(0))
        throw core::Error(core::ErrorKind::NullValue, "organization must not be null");
    lock_organization_policy(hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(0)), ExclusiveLock);
    PG_RETURN_VOID();
}

// organization_has_tokens(organization uuid) -> boolean: whether access_tokens holds a row of the
// organization as committed now (the latest snapshot, whatever the isolation level; this
// transaction's own changes included). Organization deletion at REPEATABLE READ or SERIALIZABLE
// asks it after deleting with its older snapshot: a token committed meanwhile (an import the
// deletion waited for) must not survive unseen.
HT_FUNCTION(organization_has_tokens) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    Oid nsp = get_namespace_oid("hive_tokens", false);
    Oid relid = get_relname_relid("access_tokens", nsp);
    Oid index = get_relname_relid("access_tokens_organization_idx", nsp);
    if (!OidIsValid(relid))
        ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation hive_tokens.access_tokens does not exist")));
    Relation rel = table_open(relid, AccessShareLock);
    const AttrNumber column = get_attnum(relid, "organization_id");
    // the index only if it is the install script's (on this table, valid, whole, organization_id
    // first); otherwise a scan of the table: slower, never wrong
    bool use_index = false;
    if (OidIsValid(index)) {
        Relation ir = index_open(index, AccessShareLock);
        use_index = ir->rd_index->indrelid == relid && ir->rd_index->indisvalid && ir->rd_index->indnkeyatts >= 1 &&
                    ir->rd_index->indkey.values[0] == column && RelationGetIndexPredicate(ir) == NIL &&
                    ir->rd_rel->relam == BTREE_AM_OID;
        index_close(ir, AccessShareLock);
    }
    ScanKeyData key;
    ScanKeyInit(&key, column, BTEqualStrategyNumber, F_UUID_EQ, PG_GETARG_DATUM(0));
    SysScanDesc scan = systable_beginscan(rel, use_index ? index : InvalidOid, use_index, GetLatestSnapshot(), 1, &key);
    const bool any = HeapTupleIsValid(systable_getnext(scan));
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    PG_RETURN_BOOL(any);
}

// check_expiry(organization uuid, expires_at timestamptz, rotating boolean) -> timestamptz:
// under the policy lock (shared, until the transaction ends), the organization's policy as it
// stands: for a new token an expiry that breaks it is an error (22023) and comes back unchanged;
// for a replacement (rotating) it comes back capped. NULL expires_at: never.
HT_FUNCTION(check_expiry) {
    if (PG_ARGISNULL(0))
        throw core::Error(core::ErrorKind::NullValue, "organization must not be null");
    const core::Uuid org = hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(0));
    bool has_expiry = !PG_ARGISNULL(1);
    std::int64_t expires_at = has_expiry ? PG_GETARG_TIMESTAMPTZ(1) : 0;
    const bool rotating = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
    if (has_expiry && TIMESTAMP_NOT_FINITE(expires_at)) {
        if (!rotating)
            throw core::Error(core::ErrorKind::InvalidParameterValue, "expires_at must be a finite time",
                              "", "Pass NULL for a token that never expires.");
        has_expiry = false;  // an old row's infinity: never
    }
    lock_organization_policy(org, ShareLock);
    // A copy: expiry_rule() may reload the policies (an invalidation processed by its catalog
    // access), which frees the vector a pointer from find_policy() points into.
    const PolicyRow* found = find_policy(org);
    if (found != nullptr) {
        const PolicyRow p = *found;
        core::ExpiryRule rule;
        hive_tokens::pg::expiry_rule(org, GetCurrentTransactionStartTimestamp(), &rule);
        if (rotating)
            core::rotated_expiry(&has_expiry, &expires_at, rule);
        else
            core::check_new_expiry(has_expiry, expires_at, rule, p.has_max ? interval_text(p.max) : std::string());
    }
    if (!has_expiry) PG_RETURN_NULL();
    PG_RETURN_TIMESTAMPTZ(expires_at);
}

// ---- immutability ----------------------------------------------------------------------------

namespace {

bool same_value(Form_pg_attribute att, Datum a, bool a_null, Datum b, bool b_null) {
    if (a_null || b_null) return a_null == b_null;
    return datumIsEqual(a, b, att->attbyval, att->attlen);
}

}  // namespace

// BEFORE UPDATE row trigger on hive_tokens.access_tokens: a token's grants, owner, hash, key and
// history are fixed when it is issued. Only last_used_at and use_count change freely; expires_at may move
// earlier (rotate() ends the old token) but never later nor to "never"; rotated_to is set once.
// Every other column, including any added later, must keep its value.
HT_FUNCTION(immutable_token) {
    if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(reinterpret_cast<TriggerData*>(fcinfo->context)->tg_event) ||
        !TRIGGER_FIRED_FOR_ROW(reinterpret_cast<TriggerData*>(fcinfo->context)->tg_event))
        ereport(ERROR, (errextension(), errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("immutable_token() must be called as a row trigger on UPDATE")));
    TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
    TupleDesc desc = RelationGetDescr(td->tg_relation);
    HeapTuple old_row = td->tg_trigtuple, new_row = td->tg_newtuple;
    // The one change of a credential: the usage worker storing the keyed hash of a legacy token
    // imported from Hive in place of Hive's bcrypt (after a backend checked the bcrypt).
    bool upgrade = false;
    if (hive_tokens::pg::g_upgrading_legacy) {
        auto is_null = [&](HeapTuple row, const char* column) {
            const AttrNumber n = SPI_fnumber(desc, column);
            bool isnull = true;
            if (n > 0) (void)heap_getattr(row, n, desc, &isnull);
            return isnull;
        };
        upgrade = !is_null(old_row, "legacy_hash") && is_null(old_row, "hash") && is_null(old_row, "key_id") &&
                  is_null(new_row, "legacy_hash") && !is_null(new_row, "hash") && !is_null(new_row, "key_id");
    }
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped) continue;
        const char* name = NameStr(att->attname);
        if (is_usage_column(name)) continue;
        if (upgrade && (strcmp(name, "hash") == 0 || strcmp(name, "key_id") == 0 || strcmp(name, "legacy_hash") == 0)) continue;
        bool old_null, new_null;
        Datum old_value = heap_getattr(old_row, i + 1, desc, &old_null);
        Datum new_value = heap_getattr(new_row, i + 1, desc, &new_null);
        bool allowed;
        if (strcmp(name, "expires_at") == 0)
            allowed = (old_null && new_null) ||
                      (!new_null && (old_null || DatumGetTimestampTz(new_value) <= DatumGetTimestampTz(old_value)));
        else if (strcmp(name, "rotated_to") == 0)
            allowed = old_null || same_value(att, old_value, old_null, new_value, new_null);
        else
            allowed = same_value(att, old_value, old_null, new_value, new_null);
        if (!allowed)
            ereport(ERROR,
                    (errextension(), errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
                     errmsg("column \"%s\" of an access token cannot be changed", name),
                     errdetail("A token's grants, owner, hash, key and history are fixed when it is issued: only "
                               "last_used_at and use_count change, expires_at may move earlier, and rotated_to is set once."),
                     errhint("Rotate the token with hive_tokens.rotate(), or revoke it and issue another.")));
    }
    return PointerGetDatum(new_row);
}

// ---- the audit log ---------------------------------------------------------------------------

namespace {
bool g_purging = false;  // set only while purge_audit_log() runs its DELETE
}

// BEFORE UPDATE OR DELETE row trigger and BEFORE TRUNCATE statement trigger on
// hive_tokens.audit_log: events are never changed, and removed only by purge_audit_log().
HT_FUNCTION(audit_log_guard) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errextension(), errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("must be called as a trigger")));
    TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (g_purging && TRIGGER_FIRED_BY_DELETE(td->tg_event) && TRIGGER_FIRED_FOR_ROW(td->tg_event))
        return PointerGetDatum(td->tg_trigtuple);
    ereport(ERROR, (errextension(), errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION), errmsg("the audit log is append-only"),
                    errdetail("Events are never changed or deleted one by one."),
                    errhint("Events older than a retention period go with hive_tokens.purge_audit_log(older_than).")));
    return PointerGetDatum(nullptr);
}

// purge_audit_log(older_than interval) -> bigint: deletes the events older than now() minus the
// interval and records that it did (an event "purged" naming the period and the count).
HT_FUNCTION(purge_audit_log) {
    if (PG_ARGISNULL(0)) throw core::Error(core::ErrorKind::NullValue, "older_than must not be null");
    Interval* older_than = PG_GETARG_INTERVAL_P(0);
    int64 removed = 0;
    pg_call([&]() noexcept {
        Interval zero{};
        if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(older_than), IntervalPGetDatum(&zero))) < 0)
            ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("older_than must not be negative")));
        SPI_connect();
        Oid types[1] = {INTERVALOID};
        Datum args[1] = {IntervalPGetDatum(older_than)};
        g_purging = true;
        PG_TRY();
        {
            if (SPI_execute_with_args("DELETE FROM hive_tokens.audit_log WHERE at < pg_catalog.now() OPERATOR(pg_catalog.-) $1",
                                      1, types, args, nullptr, false, 0) != SPI_OK_DELETE)
                elog(ERROR, "purge_audit_log: DELETE failed");
        }
        PG_FINALLY();
        {
            g_purging = false;
        }
        PG_END_TRY();
        removed = static_cast<int64>(SPI_processed);
        Oid types2[2] = {INTERVALOID, INT8OID};
        Datum args2[2] = {IntervalPGetDatum(older_than), Int64GetDatum(removed)};
        if (SPI_execute_with_args(
                "SELECT hive_tokens_internal.audit(hive_tokens_internal.outer_role(), 'purged', NULL, NULL, "
                "pg_catalog.jsonb_build_object('older_than', $1::pg_catalog.text, 'events', $2))",
                2, types2, args2, nullptr, false, 0) != SPI_OK_SELECT)
            elog(ERROR, "purge_audit_log: recording the purge failed");
        SPI_finish();
    });
    PG_RETURN_INT64(removed);
}

// effective_expiry(organization uuid, created_at timestamptz, expires_at timestamptz) ->
// timestamptz (hive_tokens_internal): the expiry a token has under its organization's policy as
// verification applies it: NULL for never, -infinity when the policy ends it outright.
HT_FUNCTION(effective_expiry) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
    const core::Uuid org = hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(0));
    core::StoredCredential c;
    c.has_expiry = !PG_ARGISNULL(2);
    c.expires_at = c.has_expiry ? PG_GETARG_TIMESTAMPTZ(2) : 0;
    core::ExpiryRule rule;
    if (hive_tokens::pg::expiry_rule(org, PG_GETARG_TIMESTAMPTZ(1), &rule)) core::apply_expiry_rule(&c, rule);
    if (!c.has_expiry) PG_RETURN_NULL();
    PG_RETURN_TIMESTAMPTZ(c.expires_at);  // INT64_MIN is DT_NOBEGIN, -infinity
}

// outer_role() -> name (hive_tokens_internal): the role that called, as SET ROLE left it;
// SECURITY DEFINER functions do not change it. The actor_role of an audit event.
HT_FUNCTION(outer_role) {
    Name out = static_cast<Name>(palloc0(NAMEDATALEN));
    const char* who = GetUserNameFromId(GetOuterUserId(), true);
    namestrcpy(out, who ? who : "?");
    PG_RETURN_NAME(out);
}
