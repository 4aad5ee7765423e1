// Issuing, verifying and hashing tokens against hive_tokens.access_tokens.
//
// Verification is a primary-key probe through the table's index (systable_beginscan on the
// pkey), not SPI: no planning, no executor start-up (bench/in_backend.sql measures the
// difference), and most of the time not even that: each backend keeps the rows it has read (the
// verified-token cache, below). A revoke committed by any session is seen by the next statement
// that verifies, whatever the isolation level of its transaction.
//
// Entry points: hive_tokens: verify (text and access_token), verify_reason (text and
// access_token), hash, keyring; hive_tokens_internal: mint.
#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>

#include "../core/keyring.h"
#include "../core/legacy_hash.h"
#include "../core/token_codec.h"
#include "../core/verification.h"
#include "columns.h"
#include "guard.h"
#include "keyring_loader.h"
#include "lifecycle.h"
#include "permission_cache.h"
#include "principal.h"
#include "token_store.h"
#include "usage.h"
#include "uuid_datum.h"

extern "C" {
#include "access/genam.h"
#include "nodes/execnodes.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "utils/reltrigger.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "catalog/pg_type.h"
#include "access/parallel.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::current_keyring;

int hive_tokens::pg::verify_cache_size = 10000;
char* hive_tokens::pg::legacy_tokens_until = nullptr;

namespace {

constexpr const char* kSchema = "hive_tokens";

// Where things are in the two tables verification reads. Looked up once per backend and
// forgotten on any relcache invalidation of either table (or a DROP/CREATE EXTENSION).
// Column positions are 0-based indexes into heap_deform_tuple's arrays (-1: not in this table).
struct TableInfo {
    Oid relid;
    int id, hash, key_id, expires_at, created_at;
    int legacy_hash;  // -1 in a database still at 0.1 (no imported tokens there)
    int organization_id, kind, project_id, user_id, scopes, resources;  // access_tokens only
    bool layout_0_1;  // access_tokens as 0.1 made it (scopes of type scopes): not yet updated
    bool cacheable;   // access_tokens' trigger access_tokens_changed is there and fires ALWAYS
};
struct Catalog {
    bool valid;
    TableInfo tokens, revoked;
};
Catalog g_catalog;

// verify()'s result row, filled from same-named columns of access_tokens: the descriptor and
// the column map, per function oid (verify(text) and verify(access_token)).
struct ResultShape {
    Oid fn_oid;
    Oid typrelid;
    TupleDesc desc;     // in TopMemoryContext
    int* map;           // result column i comes from access_tokens column map[i] (0-based)
};
constexpr int kMaxShapes = 4;
ResultShape g_shapes[kMaxShapes];
int g_nshapes = 0;

void forget_shapes() {
    for (int i = 0; i < g_nshapes; ++i) {
        FreeTupleDesc(g_shapes[i].desc);
        pfree(g_shapes[i].map);
    }
    g_nshapes = 0;
}

// ---- the verified-token cache ---------------------------------------------------------------
//
// The access_tokens rows this backend read, by token id, as their heap tuple images (no secret
// beyond the stored keyed hash; a hit still hashes the presented token and compares, checks the
// key ring, the expiry and the organization's policy). Every committed change to access_tokens
// sends a relcache invalidation of the table (statement trigger access_tokens_changed, ENABLE
// ALWAYS; TRUNCATE and DDL send one by themselves; hot standbys replay them from the commit
// record), and every lookup processes pending invalidations first: any invalidation empties the
// whole cache. A change of this transaction is seen at once (its invalidation is processed
// locally at the next command, and again when it aborts).
//
// A row is added only if no invalidation arrived between taking the snapshot it was read with
// and adding it: a commit the snapshot does not see sends its invalidation after it became
// visible (CommitTransaction: visible first, then AtEOXact_Inval), so it arrives after the
// snapshot and empties the cache after the row went in, or during the read and the row is not
// added. Misses therefore read with a fresh snapshot in every isolation level: a cached answer is
// "as committed when the latest invalidation was processed", and a miss must not be older.
//
// Bounded: at most hive_tokens.verify_cache_size rows (an arbitrary one goes when full), none
// larger than kMaxCachedRow bytes, none with out-of-line (TOAST) values.
constexpr uint32 kMaxCachedRow = 1024;

std::unordered_map<core::Uuid, std::string, core::UuidHash>* g_rows = nullptr;
uint64 g_cache_epoch = 0;  // bumped by every invalidation that empties the cache
uint64 g_cache_hits = 0, g_cache_misses = 0;
uint64 g_bcrypt_checks = 0;  // legacy tokens checked with bcrypt (verify_cache().bcrypt_checks)

void empty_cache() noexcept {
    ++g_cache_epoch;
    if (g_rows != nullptr) g_rows->clear();
    hive_tokens::pg::forget_token_policies();
}

std::uint64_t g_catalog_invalidations = 0;  // of access_tokens and revoked_tokens, as processed

void relcache_callback(Datum, Oid relid) {
    if (relid == InvalidOid || relid == g_catalog.tokens.relid || relid == g_catalog.revoked.relid) {
        empty_cache();
        g_catalog.valid = false;
        ++g_catalog_invalidations;
    }
    for (int i = 0; i < g_nshapes; ++i)
        if (relid == InvalidOid || relid == g_shapes[i].typrelid || relid == g_catalog.tokens.relid) {
            forget_shapes();
            break;
        }
}

Oid table_oid(const char* relname) {
    Oid nsp = get_namespace_oid(kSchema, false);
    Oid relid = get_relname_relid(relname, nsp);
    if (!OidIsValid(relid))
        ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation %s.%s does not exist", kSchema, relname),
                        errhint("Is the extension hive_tokens installed in this database?")));
    return relid;
}

void describe_table(const char* relname, TableInfo* info) {
    info->relid = table_oid(relname);
    Relation rel = table_open(info->relid, AccessShareLock);
    TupleDesc desc = RelationGetDescr(rel);
    auto col = [&](const char* name) { return hive_tokens::pg::column_index(desc, relname, name); };
    info->id = col("id");
    info->hash = col("hash");
    info->key_id = col("key_id");
    info->legacy_hash = -1;
    for (int i = 0; i < desc->natts; ++i)
        if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), "legacy_hash") == 0)
            info->legacy_hash = i;
    bool tokens = strcmp(relname, "access_tokens") == 0;
    info->expires_at = tokens ? col("expires_at") : -1;
    info->created_at = tokens ? col("created_at") : -1;
    info->organization_id = tokens ? col("organization_id") : -1;
    info->kind = tokens ? col("kind") : -1;
    info->project_id = tokens ? col("project_id") : -1;
    info->user_id = tokens ? col("user_id") : -1;
    info->scopes = tokens ? col("scopes") : -1;
    info->resources = tokens ? col("resources") : -1;
    Oid stored_scopes = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("stored_scopes"),
                                        ObjectIdGetDatum(get_namespace_oid(kSchema, false)));
    info->layout_0_1 = tokens && TupleDescAttr(desc, info->scopes)->atttypid != stored_scopes;
    // the cache is safe only while every change sends an invalidation (a database still at 0.1,
    // or a trigger disabled by hand: no cache)
    info->cacheable = false;
    // A copy of the triggers, taken before the lookup below, which may process invalidations
    // (a relcache rebuild frees the relation's trigger list)
    TriggerDesc* triggers = tokens ? CopyTriggerDesc(rel->trigdesc) : nullptr;
    if (triggers != nullptr) {
        // both triggers, as the install script makes them: access_tokens_changed (statement:
        // TRUNCATE, and every other statement) and access_tokens_row_changed (BEFORE each row:
        // logical replication's apply fires row triggers only; and at once, so an aborting
        // statement's invalidation is replayed). Calling tokens_changed, unconditionally, firing
        // ALWAYS.
        Oid fn = InvalidOid;
        {
            Oid internal = get_namespace_oid("hive_tokens_internal", true);
            oidvector* noargs = buildoidvector(nullptr, 0);
            HeapTuple pt = OidIsValid(internal) ? SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum("tokens_changed"),
                                                                  PointerGetDatum(noargs), ObjectIdGetDatum(internal))
                                                : nullptr;
            if (HeapTupleIsValid(pt)) {
                fn = reinterpret_cast<Form_pg_proc>(GETSTRUCT(pt))->oid;
                ReleaseSysCache(pt);
            }
        }
        bool statement = false, row = false;
        for (int i = 0; i < triggers->numtriggers; ++i) {
            const Trigger& t = triggers->triggers[i];
            if (t.tgfoid != fn || !OidIsValid(fn) || t.tgenabled != TRIGGER_FIRES_ALWAYS || t.tgqual != nullptr || t.tgnattr != 0)
                continue;
            if (strcmp(t.tgname, "access_tokens_changed") == 0 && !TRIGGER_FOR_ROW(t.tgtype) && TRIGGER_FOR_INSERT(t.tgtype) &&
                TRIGGER_FOR_UPDATE(t.tgtype) && TRIGGER_FOR_DELETE(t.tgtype) && TRIGGER_FOR_TRUNCATE(t.tgtype))
                statement = true;
            if (strcmp(t.tgname, "access_tokens_row_changed") == 0 && TRIGGER_FOR_ROW(t.tgtype) && TRIGGER_FOR_BEFORE(t.tgtype) &&
                TRIGGER_FOR_INSERT(t.tgtype) && TRIGGER_FOR_UPDATE(t.tgtype) && TRIGGER_FOR_DELETE(t.tgtype))
                row = true;
        }
        info->cacheable = statement && row;
        FreeTriggerDesc(triggers);
    }
    table_close(rel, NoLock);
}

const Catalog& catalog() {
    static bool registered = false;
    if (!registered) {
        CacheRegisterRelcacheCallback(relcache_callback, 0);
        registered = true;
    }
    for (int pass = 1; !g_catalog.valid; ++pass) {
        // Valid only if no invalidation of the two tables was processed while they were described
        // (a lookup or a table_open in describe_table processes them): otherwise a change that
        // committed meanwhile (a trigger disabled, say) would be kept as described before it.
        const std::uint64_t before = g_catalog_invalidations;
        describe_table("access_tokens", &g_catalog.tokens);
        describe_table("revoked_tokens", &g_catalog.revoked);
        g_catalog.valid = g_catalog_invalidations == before;
        // Still changing after three passes (caches discarded at every lookup, say): use this
        // description without the verified-token cache, until the next invalidation.
        if (!g_catalog.valid && pass == 3) {
            g_catalog.tokens.cacheable = false;
            g_catalog.valid = true;
        }
    }
    return g_catalog;
}

const ResultShape& result_shape(FunctionCallInfo fcinfo, TupleDesc table_desc) {
    Oid fn_oid = fcinfo->flinfo->fn_oid;
    for (int i = 0; i < g_nshapes; ++i)
        if (g_shapes[i].fn_oid == fn_oid) return g_shapes[i];
    TupleDesc desc;
    Oid rettype;
    if (get_call_result_type(fcinfo, &rettype, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("verify() must return a composite type")));
    // The map is computed first (column_index() may raise) so nothing long-lived leaks on an error.
    const std::size_t n = desc->natts > 0 ? desc->natts : 1;
    int* map = static_cast<int*>(palloc(sizeof(int) * n));
    for (int i = 0; i < desc->natts; ++i)
        map[i] = hive_tokens::pg::column_index(table_desc, "access_tokens", NameStr(TupleDescAttr(desc, i)->attname));
    Oid typrelid = get_typ_typrelid(rettype);
    if (g_nshapes == kMaxShapes) forget_shapes();
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    ResultShape shape;
    shape.fn_oid = fn_oid;
    shape.typrelid = typrelid;
    shape.desc = BlessTupleDesc(CreateTupleDescCopy(desc));
    shape.map = static_cast<int*>(palloc(sizeof(int) * n));
    memcpy(shape.map, map, sizeof(int) * desc->natts);
    MemoryContextSwitchTo(old);
    g_shapes[g_nshapes] = shape;
    return g_shapes[g_nshapes++];
}

// The snapshot verification reads with: a fresh one, in every isolation level, so neither an old
// transaction snapshot nor a cursor's statement snapshot can resurrect a revoked token (and the
// cache, which answers as of the latest invalidation, agrees with a miss). The functions are PARALLEL UNSAFE, so no parallel plan calls them; should one ever
// (a changed declaration), refuse rather than read a transaction snapshot that may predate a
// revoke.
Snapshot verification_snapshot() {
    if (!IsInParallelMode()) return GetLatestSnapshot();
    if (!IsolationUsesXactSnapshot() && ActiveSnapshotSet()) return GetActiveSnapshot();
    ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_TRANSACTION_STATE),
                    errmsg("hive_tokens cannot verify tokens in parallel mode under REPEATABLE READ or SERIALIZABLE")));
    return nullptr;
}

// What a row holds for the decision (core::decide), pointing into the row's datums.
core::StoredCredential credential(const TableInfo& info, const Datum* values, const bool* nulls) {
    core::StoredCredential c;
    if (!nulls[info.hash]) {
        bytea* stored = DatumGetByteaPP(values[info.hash]);
        c.hash = reinterpret_cast<const std::uint8_t*>(VARDATA_ANY(stored));
        c.hash_len = VARSIZE_ANY_EXHDR(stored);
    }
    c.has_key_id = !nulls[info.key_id];
    if (c.has_key_id) c.key_id = DatumGetInt16(values[info.key_id]);
    c.has_expiry = info.expires_at >= 0 && !nulls[info.expires_at];
    if (c.has_expiry) c.expires_at = DatumGetTimestampTz(values[info.expires_at]);
    return c;
}

// Primary-key probe of one table: calls visit(values, nulls) for the row with this id (while it
// is pinned) and returns whether there was one.
constexpr int kStackColumns = 32;

template <typename Visit>
bool probe(const TableInfo& info, const core::Uuid& id, Snapshot snap, Visit&& visit, bool* own_row = nullptr) {
    Relation rel = table_open(info.relid, AccessShareLock);
    TupleDesc desc = RelationGetDescr(rel);
    Datum stack_values[kStackColumns];
    bool stack_nulls[kStackColumns];
    Datum* values = desc->natts <= kStackColumns ? stack_values : static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
    bool* nulls = desc->natts <= kStackColumns ? stack_nulls : static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
    pg_uuid_t key_id;
    memcpy(key_id.data, id.b, sizeof key_id.data);
    ScanKeyData key;
    ScanKeyInit(&key, static_cast<AttrNumber>(info.id + 1), BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&key_id));
    SysScanDesc scan = systable_beginscan(rel, RelationGetPrimaryKeyIndex(rel), true, snap, 1, &key);
    HeapTuple tup = systable_getnext(scan);
    bool found = HeapTupleIsValid(tup);
    if (found) {
        if (own_row != nullptr) *own_row = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetRawXmin(tup->t_data));
        heap_deform_tuple(tup, desc, values, nulls);
        visit(desc, values, nulls);
    }
    systable_endscan(scan);
    table_close(rel, NoLock);
    return found;
}

// probe() of access_tokens through the cache: visit(desc, values, nulls) for the token's row, from
// the cache or (a miss) from the table with a fresh snapshot. visit sets *matched when the
// presented token's hash matched the row (core::decide said Ok or Expired): only such rows are
// kept, so a forged token for a real id neither fills nor evicts, and a hit whose hash does not
// match costs what a miss costs (one decision and one probe; no timing difference tells a forger
// that the id was verified here before). Rows this transaction wrote are never kept.
template <typename Visit>
bool cached_probe(const TableInfo& info, const core::Uuid& id, bool* matched, Visit&& visit) {
    if (hive_tokens::pg::verify_cache_size <= 0 || !info.cacheable || IsInParallelMode())
        return probe(info, id, verification_snapshot(), visit);
    Relation rel = table_open(info.relid, AccessShareLock);
    AcceptInvalidationMessages();  // a change committed anywhere empties the cache now
    HeapTupleData cached;
    cached.t_data = nullptr;
    if (g_rows != nullptr) {
        auto it = g_rows->find(id);
        if (it != g_rows->end()) {
            cached.t_len = static_cast<uint32>(it->second.size());
            cached.t_data = static_cast<HeapTupleHeader>(palloc(cached.t_len));
            memcpy(cached.t_data, it->second.data(), cached.t_len);
            ItemPointerSetInvalid(&cached.t_self);
            cached.t_tableOid = info.relid;
        }
    }
    if (cached.t_data != nullptr) {
        TupleDesc desc = RelationGetDescr(rel);
        Datum* values = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
        bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
        heap_deform_tuple(&cached, desc, values, nulls);
        *matched = false;
        visit(desc, values, nulls);
        if (*matched) {
            ++g_cache_hits;
            table_close(rel, NoLock);
            return true;
        }
        // A token whose hash does not match the cached row (a forgery for a real id): visit has
        // answered as the table would (the row is current: invalidations were processed first).
        // Spend the probe a miss spends and count a miss, so neither time nor numbers tell the
        // forger that this id was verified here before.
        table_close(rel, NoLock);
        ++g_cache_misses;
        probe(info, id, verification_snapshot(), [](TupleDesc, const Datum*, const bool*) {});
        return true;
    }
    table_close(rel, NoLock);
    ++g_cache_misses;
    const uint64 epoch = g_cache_epoch;
    HeapTuple copy = nullptr;
    bool own = false;
    *matched = false;
    bool found = probe(info, id, verification_snapshot(), [&](TupleDesc desc, const Datum* values, const bool* nulls) {
        visit(desc, values, nulls);
        if (!*matched) return;
        HeapTuple t = heap_form_tuple(desc, const_cast<Datum*>(values), const_cast<bool*>(nulls));
        if (!HeapTupleHasExternal(t) && t->t_len <= kMaxCachedRow) copy = t;
    }, &own);
    if (found && copy != nullptr && !own && epoch == g_cache_epoch) {
        try {
            if (g_rows == nullptr) g_rows = new std::unordered_map<core::Uuid, std::string, core::UuidHash>();
            if (static_cast<int>(g_rows->size()) >= hive_tokens::pg::verify_cache_size && !g_rows->empty())
                g_rows->erase(g_rows->begin());
            (*g_rows)[id].assign(reinterpret_cast<const char*>(copy->t_data), copy->t_len);
        } catch (const std::bad_alloc&) {
            empty_cache();  // a cache is optional: never an error
        }
    }
    return found;
}

// ---- legacy tokens imported from Hive ------------------------------------------------------------
//
// A token imported by import_hive_tokens() is stored as Hive stored it, a bcrypt hash of its
// secret (legacy_hash), until its first use: a bcrypt check (the system's libcrypt) then vouches
// for the presented token, the keyed hash of the whole token under the issuing key stands in for
// the stored one in core::decide (expiry and the rest as for any token), and the usage worker is
// asked to store that keyed hash (queue_hash_upgrade; never a write here: a read-only transaction
// or a hot standby verifies the same way). Until the upgrade is written, this backend remembers
// the tokens it checked (by id: the bcrypt it checked against and the keyed hash; no secret), so
// later uses cost a keyed hash; a token that does not match the memo pays the bcrypt check anyway
// (a forger cannot tell by timing that the id was used here).
struct LegacyMemo {
    char bcrypt[core::kBcryptHashChars];
    int16 key_id;
    std::uint8_t hash[core::kHashBytes];
};
constexpr std::size_t kLegacyMemoMax = 4096;
std::unordered_map<core::Uuid, LegacyMemo, core::UuidHash>* g_legacy = nullptr;

// Whether `token` (a legacy token) is the one Hive's bcrypt `stored` was made from, for a row of
// kind *row_kind (nullptr: a tombstone, which keeps no kind). Counted in bcrypt_checks; an error
// only when libcrypt could not run.
bool bcrypt_matches(std::string_view token, const core::TokenKind* row_kind, std::string_view stored) {
    core::ParsedToken pt;
    const bool parsed = core::parse_token(token.data(), token.size(), &pt).ok();
    ++g_bcrypt_checks;
    const core::LegacyCheck check =
        parsed ? core::check_legacy_secret(pt, row_kind != nullptr ? *row_kind : pt.kind, stored) : core::LegacyCheck::NoMatch;
    sodium_memzero(&pt, sizeof pt);
    if (check == core::LegacyCheck::Error)
        ereport(ERROR, (errextension(), errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory checking a legacy Hive token")));
    return check == core::LegacyCheck::Match;
}

// Whether `token` is the one the bcrypt hash `stored` of a row of kind `row_kind` was made from;
// if so, *hash and *key_id receive its keyed hash under a key of the ring.
bool legacy_token_matches(std::string_view token, const core::Uuid& id, core::TokenKind row_kind, std::string_view stored,
                          const core::Keyring& ring, std::uint8_t hash[core::kHashBytes], int16* key_id) {
    if (stored.size() != core::kBcryptHashChars) return false;
    if (g_legacy != nullptr) {
        auto it = g_legacy->find(id);
        if (it != g_legacy->end() && memcmp(it->second.bcrypt, stored.data(), core::kBcryptHashChars) == 0) {
            const core::ServerKey* key = ring.find(it->second.key_id);
            if (key != nullptr) {
                core::keyed_hash(*key, token.data(), token.size(), hash);
                if (core::hash_equal(hash, it->second.hash)) {
                    *key_id = it->second.key_id;
                    return true;
                }
            }
        }
    }
    if (!bcrypt_matches(token, &row_kind, stored)) return false;
    const core::ServerKey& issuing = ring.issuing();
    core::keyed_hash(issuing, token.data(), token.size(), hash);
    *key_id = issuing.id;
    try {
        if (g_legacy == nullptr) g_legacy = new std::unordered_map<core::Uuid, LegacyMemo, core::UuidHash>();
        if (g_legacy->size() >= kLegacyMemoMax) g_legacy->erase(g_legacy->begin());
        LegacyMemo& m = (*g_legacy)[id];
        memcpy(m.bcrypt, stored.data(), core::kBcryptHashChars);
        m.key_id = issuing.id;
        memcpy(m.hash, hash, core::kHashBytes);
    } catch (const std::bad_alloc&) {
        // the memo is optional: the next use checks bcrypt again
    }
    return true;
}

core::TokenKind row_kind(Datum kind) {
    text* t = DatumGetTextPP(kind);
    core::TokenKind k = core::TokenKind::Organization;
    (void)core::kind_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &k);
    return k;
}

// hive_tokens.legacy_tokens_until: after this time, legacy tokens are refused (DT_NOEND: never).
TimestampTz g_legacy_until = DT_NOEND;

// Looks the token up and decides (core::decide). For a live token, *record (verify) receives the
// result row built from the stored row and *row (authenticate) what makes a principal. A bit the
// permission catalog does not define (a restore that has not loaded that permission yet) grants
// nothing and is left out of both.
core::Reason check_token(const char* s, std::size_t len, FunctionCallInfo fcinfo, HeapTuple* record,
                         hive_tokens::pg::TokenRow* row = nullptr) {
    const std::string_view token(s, len);
    core::Uuid id;
    core::Reason reason = core::token_id(token, &id);
    if (reason != core::Reason::Ok) return reason;
    const TimestampTz now = GetCurrentTimestamp();
    const bool legacy = core::is_legacy_token(token);
    if (legacy && now >= g_legacy_until) return core::Reason::LegacyRefused;

    const core::Keyring& ring = current_keyring();
    const core::PermissionCatalog& permissions = hive_tokens::pg::current_catalog();
    const core::Scopes defined = permissions.active() | permissions.retired();
    const Catalog& cat = catalog();
    const TableInfo& info = cat.tokens;
    bool matched = false;
    // a legacy token checked by bcrypt: what the usage worker is asked to store in its place
    bool upgrade = false;
    char upgrade_from[core::kBcryptHashChars];
    std::uint8_t upgrade_hash[core::kHashBytes];
    int16 upgrade_key = 0;
    bool live = cached_probe(info, id, &matched, [&](TupleDesc desc, const Datum* values, const bool* nulls) {
        core::StoredCredential c = credential(info, values, nulls);
        upgrade = false;
        if (legacy && c.hash == nullptr && info.legacy_hash >= 0 && !nulls[info.legacy_hash] && !nulls[info.kind]) {
            text* stored = DatumGetTextPP(values[info.legacy_hash]);
            const std::string_view bcrypt(VARDATA_ANY(stored), VARSIZE_ANY_EXHDR(stored));
            if (legacy_token_matches(token, id, row_kind(values[info.kind]), bcrypt, ring, upgrade_hash, &upgrade_key)) {
                c.hash = upgrade_hash;
                c.hash_len = core::kHashBytes;
                c.has_key_id = true;
                c.key_id = upgrade_key;
                memcpy(upgrade_from, bcrypt.data(), core::kBcryptHashChars);
                upgrade = true;
            }
        }
        // the organization's expiry policy, as it stands now, whenever the token was issued
        core::ExpiryRule rule;
        if (!nulls[info.organization_id] && !nulls[info.created_at] &&
            hive_tokens::pg::expiry_rule(hive_tokens::pg::uuid_from_datum(values[info.organization_id]),
                                         DatumGetTimestampTz(values[info.created_at]), &rule))
            core::apply_expiry_rule(&c, rule);
        reason = core::decide(token, ring, &c, nullptr, now);
        matched = reason == core::Reason::Ok || reason == core::Reason::Expired;
        if (reason != core::Reason::Ok) return;
        if (record != nullptr) {
            const ResultShape& shape = result_shape(fcinfo, desc);
            Datum* out = static_cast<Datum*>(palloc(sizeof(Datum) * (shape.desc->natts + 1)));
            bool* out_nulls = static_cast<bool*>(palloc(sizeof(bool) * (shape.desc->natts + 1)));
            for (int i = 0; i < shape.desc->natts; ++i) {
                out[i] = values[shape.map[i]];
                out_nulls[i] = nulls[shape.map[i]];
                if (shape.map[i] == info.scopes && !out_nulls[i]) {
                    auto* masked = static_cast<core::Scopes*>(palloc(sizeof(core::Scopes)));
                    *masked = *reinterpret_cast<const core::Scopes*>(DatumGetPointer(out[i])) & defined;
                    out[i] = PointerGetDatum(masked);
                }
            }
            *record = heap_form_tuple(shape.desc, out, out_nulls);
        }
        if (row != nullptr) {
            row->id = id;
            memcpy(row->organization.b, DatumGetUUIDP(values[info.organization_id])->data, 16);
            row->has_project = !nulls[info.project_id];
            if (row->has_project) memcpy(row->project.b, DatumGetUUIDP(values[info.project_id])->data, 16);
            const char* kind = TextDatumGetCString(values[info.kind]);
            row->project_token = strcmp(kind, "project") == 0;
            row->personal_token = strcmp(kind, "personal") == 0;
            row->has_user = !nulls[info.user_id];
            if (row->has_user) memcpy(row->user.b, DatumGetUUIDP(values[info.user_id])->data, 16);
            memcpy(&row->scopes, DatumGetPointer(values[info.scopes]), sizeof row->scopes);
            row->scopes = row->scopes & defined;
            row->resources = DatumGetJsonbPCopy(values[info.resources]);
            row->layout_0_1 = info.layout_0_1;
        }
    });
    if (live) {
        if (reason == core::Reason::Ok) hive_tokens::pg::note_use(id, now);
        if (reason == core::Reason::Ok && upgrade) hive_tokens::pg::queue_hash_upgrade(id, upgrade_from, upgrade_key, upgrade_hash);
        if (reason == core::Reason::KeyUnavailable)
            reason = core::visible_reason(reason, pg_class_aclcheck(info.relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK);
        return reason;
    }
    // A revoked token leaves a tombstone (id, hash): only the holder of the real secret learns
    // that it was revoked; anyone else gets "unknown".
    reason = core::Reason::Unknown;
    probe(cat.revoked, id, verification_snapshot(), [&](TupleDesc, const Datum* values, const bool* nulls) {
        core::StoredCredential c = credential(cat.revoked, values, nulls);
        const int lh = cat.revoked.legacy_hash;
        if (legacy && c.hash == nullptr && lh >= 0 && !nulls[lh]) {
            // a token imported from Hive and revoked before its first use: Hive's bcrypt
            text* stored = DatumGetTextPP(values[lh]);
            reason = bcrypt_matches(token, nullptr, std::string_view(VARDATA_ANY(stored), VARSIZE_ANY_EXHDR(stored)))
                         ? core::Reason::Revoked
                         : core::Reason::Unknown;
            return;
        }
        reason = core::decide(token, ring, nullptr, &c, now);
    });
    return reason;
}

}  // namespace

void hive_tokens::pg::verify_cache_resized(int, void*) { empty_cache(); }

// verify_cache() -> (entries, hits, misses, emptied, policies, bcrypt_checks): this backend's
// verified-token cache, how many compiled policies authorize() keeps with it, and how many times
// it checked a legacy token with bcrypt.
HT_FUNCTION(verify_cache) {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) elog(ERROR, "verify_cache: not a composite result");
    desc = BlessTupleDesc(desc);
    Datum values[6] = {Int64GetDatum(g_rows ? static_cast<int64>(g_rows->size()) : 0), Int64GetDatum(static_cast<int64>(g_cache_hits)),
                       Int64GetDatum(static_cast<int64>(g_cache_misses)), Int64GetDatum(static_cast<int64>(g_cache_epoch)),
                       Int64GetDatum(hive_tokens::pg::token_policies_kept()), Int64GetDatum(static_cast<int64>(g_bcrypt_checks))};
    bool nulls[6] = {false, false, false, false, false, false};
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

// Whether the token with this id is live now, by its row alone (no secret to check): a row in
// access_tokens of this organization, not expired under its own expiry or its organization's
// policy. A revoked token has no row. For tickets (ticket.cpp), whose token was verified where
// the ticket was sealed.
bool hive_tokens::pg::token_is_live(const core::Uuid& id, const core::Uuid& organization) {
    const Catalog& cat = catalog();
    const TableInfo& info = cat.tokens;
    const TimestampTz now = GetCurrentTimestamp();
    bool live = false;
    probe(info, id, verification_snapshot(), [&](TupleDesc, const Datum* values, const bool* nulls) {
        if (nulls[info.organization_id] ||
            memcmp(DatumGetUUIDP(values[info.organization_id])->data, organization.b, 16) != 0)
            return;
        core::StoredCredential c = credential(info, values, nulls);
        core::ExpiryRule rule;
        if (!nulls[info.created_at] &&
            hive_tokens::pg::expiry_rule(organization, DatumGetTimestampTz(values[info.created_at]), &rule))
            core::apply_expiry_rule(&c, rule);
        live = !c.has_expiry || now < c.expires_at;
    });
    return live;
}

core::Reason hive_tokens::pg::lookup_token(const char* s, std::size_t len, TokenRow* row) {
    return check_token(s, len, nullptr, nullptr, row);
}

// verify(token) -> setof tokens: one row for a live token, no row for anything else (so
// SELECT * FROM verify($1) never yields a row of NULLs). Value-per-call, answered in one call.
// Declared as 0.1 declared it (a plain composite, not yet updated), it returns the record or NULL.
HT_TOKEN_FUNCTION(verify) {
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    const bool as_set = rsinfo != nullptr && IsA(rsinfo, ReturnSetInfo) && fcinfo->flinfo->fn_retset;
    if (as_set && (rsinfo->allowedModes & SFRM_ValuePerCall) == 0)
        ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("set-valued function called in context that cannot accept a set")));
    text* t = PG_GETARG_TEXT_PP(0);
    HeapTuple record = nullptr;
    const bool live = check_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), fcinfo, &record) == core::Reason::Ok && record != nullptr;
    if (as_set) {
        rsinfo->returnMode = SFRM_ValuePerCall;
        rsinfo->isDone = live ? ExprSingleResult : ExprEndResult;
    }
    if (!live) PG_RETURN_NULL();
    PG_RETURN_DATUM(HeapTupleGetDatum(record));
}

// verify_reason(token) -> text: core::reason_name's word, except "legacy" for a token in Hive's
// legacy form that verifies (it works until hive_tokens.legacy_tokens_until: replace it).
HT_TOKEN_FUNCTION(verify_reason) {
    text* t = PG_GETARG_TEXT_PP(0);
    const std::string_view token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    const core::Reason r = check_token(token.data(), token.size(), nullptr, nullptr);
    PG_RETURN_TEXT_P(cstring_to_text(r == core::Reason::Ok && core::is_legacy_token(token) ? "legacy" : core::reason_name(r)));
}

// hive_tokens.legacy_tokens_until: empty (legacy tokens always accepted) or a timestamp with time
// zone; parsed here without raising (a check hook reports, never throws).
constexpr const char* kInvalidUntil =
    "hive_tokens.legacy_tokens_until is empty or an ISO 8601 time with a numeric UTC offset, such as '2027-03-01 00:00+00'.";

bool hive_tokens::pg::legacy_until_check(char** newval, void** extra, GucSource source) {
    TimestampTz until = DT_NOEND;
    // A value that does not parse: a person setting it gets an error; one the server takes as it
    // stands (written by an earlier release, or mistyped in postgresql.conf) fails closed: every
    // legacy token is refused, with a message in the log, rather than the cut-over vanishing.
    auto invalid = [&](const char* why) {
        // an error where a person is setting it (SET, ALTER DATABASE/ROLE, ALTER SYSTEM, which
        // check with the configuration file's source in a backend; a backend rereading the file
        // then keeps its value, as for any invalid setting); failing closed where the server
        // takes it as it stands (the postmaster's start and reload, whose value new sessions
        // inherit, and stored defaults applied at connection)
        const bool person = source == PGC_S_TEST || source >= PGC_S_CLIENT || (source == PGC_S_FILE && IsUnderPostmaster);
        if (person) {
            GUC_check_errdetail("%s", why);
            return false;
        }
        // in the postmaster (the log, once per start or reload); elsewhere only the log
        if (!IsParallelWorker())
            ereport(IsUnderPostmaster ? LOG : WARNING,
                    (errmsg("hive_tokens.legacy_tokens_until \"%s\" is not valid: every legacy token is refused", *newval),
                     errdetail("%s", why)));
        auto* out = static_cast<TimestampTz*>(malloc(sizeof(TimestampTz)));
        if (out == nullptr) return false;
        *out = DT_NOBEGIN;
        *extra = out;
        return true;
    };
    const char* v = *newval;
    while (v != nullptr && (*v == ' ' || *v == '\t')) ++v;
    // ISO 8601 (year first), digits and separators, a numeric offset or Z/UTC: every session reads
    // the same moment, whatever its DateStyle. A zone name or abbreviation would be read under the
    // session's timezone_abbreviations (and a word such as 'now' or 'tomorrow' again by every
    // backend that starts); a value without a zone is UTC, whatever the session's TimeZone.
    if (v != nullptr) {
        std::size_t n = strlen(v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) --n;
        std::size_t letters_end = n;
        if (n >= 3 && strncasecmp(v + n - 3, "utc", 3) == 0)
            letters_end = n - 3;
        else if (n >= 1 && (v[n - 1] == 'Z' || v[n - 1] == 'z'))
            letters_end = n - 1;
        // ISO 8601's year-month-day first: no DateStyle reads it another way
        auto digit = [&](std::size_t i) { return i < n && v[i] >= '0' && v[i] <= '9'; };
        const bool iso = n > 0 && digit(0) && digit(1) && digit(2) && digit(3) && v[4] == '-' && digit(5) && digit(6) &&
                         v[7] == '-' && digit(8) && digit(9) && (n == 10 || v[10] == ' ' || v[10] == 'T' || v[10] == 't');
        if (n > 0 && !iso) return invalid(kInvalidUntil);
        for (std::size_t i = 0; i < letters_end; ++i) {
            const char c = v[i];
            if (!((c >= '0' && c <= '9') || c == ' ' || c == '-' || c == ':' || c == '+' || c == '.' || c == 'T' || c == 't'))
                return invalid(kInvalidUntil);
        }
    }
    if (v != nullptr && *v != '\0') {
        char workbuf[MAXDATELEN + MAXDATEFIELDS];
        char* field[MAXDATEFIELDS];
        int ftype[MAXDATEFIELDS];
        int nf = 0, dtype = 0, tz = 0;
        struct pg_tm tt;
        fsec_t fsec = 0;
        int dterr = strlen(v) >= MAXDATELEN ? DTERR_BAD_FORMAT
                                            : ParseDateTime(v, workbuf, sizeof workbuf, field, ftype, MAXDATEFIELDS, &nf);
        pg_tz* session = session_timezone;
        pg_tz* utc = pg_tzset("UTC");
        if (utc == nullptr) return false;
        session_timezone = utc;  // DecodeDateTime reads a zone-less value in the session's zone
        if (dterr == 0) dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
        session_timezone = session;
        if (dterr != 0 || dtype != DTK_DATE || tm2timestamp(&tt, fsec, &tz, &until) != 0) return invalid(kInvalidUntil);
    }
    auto* out = static_cast<TimestampTz*>(malloc(sizeof(TimestampTz)));
    if (out == nullptr) return false;
    *out = until;
    *extra = out;
    return true;
}

void hive_tokens::pg::legacy_until_assign(const char*, void* extra) {
    g_legacy_until = extra != nullptr ? *static_cast<TimestampTz*>(extra) : DT_NOEND;
}

HT_TOKEN_FUNCTION(hash) {
    text* t = PG_GETARG_TEXT_PP(0);
    const char* s = VARDATA_ANY(t);
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    core::ParsedToken pt;
    core::ParseResult pr = core::parse_token(s, len, &pt);
    sodium_memzero(&pt, sizeof pt);
    if (!pr.ok())
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), errmsg("invalid access token: %s", core::describe(pr.status))));
    const core::Keyring& ring = current_keyring();
    bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + core::kHashBytes));
    SET_VARSIZE(out, VARHDRSZ + core::kHashBytes);
    core::keyed_hash(ring.issuing(), s, len, reinterpret_cast<std::uint8_t*>(VARDATA(out)));
    PG_RETURN_BYTEA_P(out);
}

// mint(kind text) -> (id uuid, token text, hash bytea, key_id int2, first_characters text).
// Internal to issue(); EXECUTE is revoked from PUBLIC.
HT_FUNCTION(mint) {
    text* kt = PG_GETARG_TEXT_PP(0);
    core::TokenKind kind;
    if (!core::kind_from_name(VARDATA_ANY(kt), VARSIZE_ANY_EXHDR(kt), &kind))
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid token kind"),
                        errhint("The kind is one of organization, project, personal.")));
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("mint() must return a composite type")));
    desc = BlessTupleDesc(desc);
    const core::Keyring& ring = current_keyring();

    core::ParsedToken pt;
    core::generate_token(kind, &pt);
    char token[core::kTokenLength];
    core::format_token(kind, pt.id, pt.secret, token);
    pg_uuid_t* id = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
    memcpy(id->data, pt.id, sizeof id->data);
    sodium_memzero(&pt, sizeof pt);

    bytea* hash = static_cast<bytea*>(palloc(VARHDRSZ + core::kHashBytes));
    SET_VARSIZE(hash, VARHDRSZ + core::kHashBytes);
    core::keyed_hash(ring.issuing(), token, sizeof token, reinterpret_cast<std::uint8_t*>(VARDATA(hash)));

    Datum values[5];
    bool nulls[5] = {false, false, false, false, false};
    values[0] = UUIDPGetDatum(id);
    values[1] = PointerGetDatum(cstring_to_text_with_len(token, sizeof token));
    values[2] = PointerGetDatum(hash);
    values[3] = Int16GetDatum(ring.issuing().id);
    values[4] = PointerGetDatum(cstring_to_text_with_len(token, core::kDisplayChars));
    sodium_memzero(token, sizeof token);
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

// keyring() -> setof (key_id int2, issuing boolean): the ids in the loaded keyring, never keys.
HT_FUNCTION(keyring) {
    const core::Keyring& ring = current_keyring();
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (std::size_t i = 0; i < ring.count; ++i) {
        Datum values[2] = {Int16GetDatum(ring.keys[i].id), BoolGetDatum(i == 0)};
        bool nulls[2] = {false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}
