// Usage tracking: each token's last_used_at and use_count, without a write per verification.
//
//   verification ──note_use()──> this backend's pending uses (bounded, local memory)
//        transaction end ──> shared memory (bounded hash table under one LWLock, held briefly:
//            at most a scan of the table; never a row or table lock, never inside a verification)
//        every hive_tokens.usage_flush_interval ──launcher──> one flush worker per database:
//            UPDATE access_tokens SET last_used_at, use_count, one row per token, as its owner;
//            the entries stay in shared memory until the UPDATE commits, then the written uses
//            are subtracted (so unused_tokens() sees uses in flight, and a failed or stopped
//            flush leaves them for the next one)
//        clean shutdown: the postmaster writes what is still in shared memory to
//            pg_stat/hive_tokens_usage.stat; the next start loads it and the worker flushes it.
//
// Needs shared_preload_libraries (shared memory and the launcher exist only then). Without it,
// or on a hot standby, nothing is counted and nothing is written. A use that goes uncounted on a
// primary that tracks (shared or backend memory full, a session with hive_tokens.track_usage off,
// a database the worker cannot write) moves that database's `uncounted_at` forward: unused_tokens() refuses an
// interval reaching back before it, since it could not tell an unused token from a token whose
// use was lost. A crash loses the uses not yet flushed and restarts `since`.
#include "usage.h"

#include <cstring>
#include <unistd.h>
#include <new>
#include <unordered_map>

#include "guard.h"
#include "worker.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "common/controldata_utils.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/uuid.h"
#include "utils/wait_event.h"
}

namespace core = hive_tokens::core;

bool hive_tokens::pg::track_usage = true;
int hive_tokens::pg::usage_flush_interval = 10;
int hive_tokens::pg::usage_max_tokens = 50000;
bool hive_tokens::pg::g_usage_flushing = false;
bool hive_tokens::pg::g_upgrading_legacy = false;

namespace {

using hive_tokens::pg::usage_max_tokens;

constexpr const char* kDumpFile = "pg_stat/hive_tokens_usage.stat";
constexpr uint32 kDumpMagic = 0x48545553;  // "HTUS"
constexpr uint32 kDumpVersion = 3;
constexpr std::size_t kLocalMax = 4096;  // distinct tokens a backend holds between hand-overs
constexpr int kFlushChunk = 1000;        // tokens per UPDATE (and per transaction)

struct UsageKey {
    Oid database;
    uint8 id[16];
};
struct UsageEntry {
    UsageKey key;
    TimestampTz last_used;
    int64 uses;
};
// The latest time a use went uncounted, per database (a database's trouble does not hold up
// unused_tokens() in the others); databases beyond the slots share `overflow`.
constexpr int kUncountedSlots = 64;
struct Uncounted {
    Oid database[kUncountedSlots];
    TimestampTz at[kUncountedSlots];
    TimestampTz overflow;
};
// A legacy token imported from Hive that a backend verified by bcrypt: the keyed hash the flush
// worker stores in place of the bcrypt (only while the row still holds that bcrypt). Not dumped
// at shutdown: the token's next use asks again.
constexpr int kUpgradeSlots = 256;
struct HashUpgrade {
    Oid database;  // InvalidOid: a free slot
    uint8 id[16];
    int16 key_id;
    uint8 hash[32];
    char bcrypt[60];
};
struct UsageShared {
    LWLock* lock;
    HashUpgrade upgrades[kUpgradeSlots];  // under lock
    TimestampTz since;       // uses counted since (the first start with preload, kept across clean restarts)
    TimestampTz last_flush;  // when a flush worker last committed (0: never)
    Latch* launcher;         // the launcher's latch while it runs (under lock)
    pg_atomic_uint64 dropped;
    pg_atomic_uint64 flushed;
    Uncounted uncounted;  // under lock
    bool recovery_start;  // started as a standby: tracking starts over at promotion
};
struct DumpHeader {
    uint32 magic, version;
    TimestampTz since, written_at;
    Uncounted uncounted;
    int64 entries;
};

UsageShared* g_shared = nullptr;
HTAB* g_hash = nullptr;
shmem_request_hook_type g_prev_request = nullptr;
shmem_startup_hook_type g_prev_startup = nullptr;

int64 saturating_add(int64 a, int64 b) { return a > PG_INT64_MAX - b ? PG_INT64_MAX : a + b; }

// A use in `database` went uncounted at `at`: that database's time moves forward to it. The
// caller holds the lock exclusively (or is the postmaster, alone with shared memory).
void mark_uncounted_locked(Oid database, TimestampTz at) {
    Uncounted& u = g_shared->uncounted;
    int free_slot = -1;
    for (int i = 0; i < kUncountedSlots; ++i) {
        if (u.database[i] == database) {
            if (at > u.at[i]) u.at[i] = at;
            return;
        }
        if (free_slot < 0 && u.database[i] == InvalidOid) free_slot = i;
    }
    if (free_slot >= 0) {
        u.database[free_slot] = database;
        u.at[free_slot] = at;
    } else if (at > u.overflow) {
        u.overflow = at;
    }
}

// The latest time a use in `database` went uncounted, 0 if none (the lock held, either mode).
TimestampTz uncounted_for(Oid database) {
    const Uncounted& u = g_shared->uncounted;
    TimestampTz at = u.overflow;
    for (int i = 0; i < kUncountedSlots; ++i)
        if (u.database[i] == database && u.at[i] > at) at = u.at[i];
    return at;
}

// Uses of `database` dropped (not written, never will be): counted, and marked uncounted now.
void count_dropped(Oid database, uint64 uses) {
    if (uses == 0) return;
    pg_atomic_fetch_add_u64(&g_shared->dropped, uses);
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    mark_uncounted_locked(database, GetCurrentTimestamp());
    LWLockRelease(g_shared->lock);
}

// Adds uses to the shared table (the caller holds the lock exclusively): false when it is full.
bool add_shared(const UsageKey& key, TimestampTz at, int64 uses, long* entries) {
    auto* e = static_cast<UsageEntry*>(hash_search(g_hash, &key, HASH_FIND, nullptr));
    if (e == nullptr) {
        if (*entries >= usage_max_tokens) return false;
        bool found;
        e = static_cast<UsageEntry*>(hash_search(g_hash, &key, HASH_ENTER_NULL, &found));
        if (e == nullptr) return false;
        e->last_used = at;
        e->uses = 0;
        ++*entries;
    }
    e->uses = saturating_add(e->uses, uses);
    if (at > e->last_used) e->last_used = at;
    return true;
}

// ---- this backend's pending uses ----------------------------------------------------------

struct Pending {
    TimestampTz at;
    int64 uses;
};
std::unordered_map<hive_tokens::core::Uuid, Pending, core::UuidHash>* g_local = nullptr;
uint64 g_local_dropped = 0;
TimestampTz g_local_uncounted = 0;  // a use this backend did not count (track_usage off)
bool g_exit_hook = false;

// Hands this backend's pending uses to shared memory, at every transaction end (so no use stays
// behind in an idle session). The lock is held briefly by anyone (at most a scan of the shared
// table); the free case is tried first. Never raises.
void hand_over() noexcept {
    if (g_shared == nullptr) return;
    if (g_local_uncounted == 0 && (g_local == nullptr || (g_local->empty() && g_local_dropped == 0))) return;
    if (!LWLockConditionalAcquire(g_shared->lock, LW_EXCLUSIVE)) LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    if (g_local_uncounted != 0) mark_uncounted_locked(MyDatabaseId, g_local_uncounted);
    g_local_uncounted = 0;
    if (g_local == nullptr) {
        LWLockRelease(g_shared->lock);
        return;
    }
    long entries = hash_get_num_entries(g_hash);
    uint64 dropped = g_local_dropped;
    UsageKey key;
    memset(&key, 0, sizeof key);
    key.database = MyDatabaseId;
    for (const auto& [id, p] : *g_local) {
        memcpy(key.id, id.b, 16);
        if (!add_shared(key, p.at, p.uses, &entries)) dropped += static_cast<uint64>(p.uses);
    }
    if (dropped > 0) mark_uncounted_locked(MyDatabaseId, GetCurrentTimestamp());
    const bool nearly_full = entries >= usage_max_tokens - usage_max_tokens / 4;
    Latch* launcher = g_shared->launcher;
    LWLockRelease(g_shared->lock);
    g_local->clear();
    g_local_dropped = 0;
    if (dropped > 0) pg_atomic_fetch_add_u64(&g_shared->dropped, dropped);
    if (nearly_full && launcher != nullptr) SetLatch(launcher);
}

void usage_xact_callback(XactEvent event, void*) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
        case XACT_EVENT_PREPARE:
            hand_over();
            break;
        default:
            break;
    }
}

void usage_backend_exit(int, Datum) { hand_over(); }

// ---- shared memory, and its dump across a clean restart --------------------------------------

Size shared_size() {
    return add_size(MAXALIGN(sizeof(UsageShared)), hash_estimate_size(usage_max_tokens, sizeof(UsageEntry)));
}

void usage_shmem_request() {
    if (g_prev_request != nullptr) g_prev_request();
    RequestAddinShmemSpace(shared_size());
    RequestNamedLWLockTranche("hive_tokens usage", 1);
}

// At the postmaster's exit after a clean shutdown (code 0; not after a crash): what no flush has
// written yet goes to the dump file. Every other process has exited.
void dump_usage(int code, Datum) {
    if (code != 0 || g_shared == nullptr || g_hash == nullptr) return;
    // only after a shutdown checkpoint (smart or fast): after an immediate shutdown a flush may
    // have committed uses it had no time to take out of shared memory
    bool crc_ok = false;
    ControlFileData* control = get_controlfile(DataDir, &crc_ok);
    if (!crc_ok || control == nullptr || control->state != DB_SHUTDOWNED) return;
    const char* tmp = "pg_stat/hive_tokens_usage.stat.tmp";
    FILE* f = AllocateFile(tmp, PG_BINARY_W);
    if (f == nullptr) {
        ereport(LOG, (errcode_for_file_access(), errmsg("hive_tokens: could not write \"%s\": %m", tmp)));
        return;
    }
    DumpHeader h;
    memset(&h, 0, sizeof h);
    h.magic = kDumpMagic;
    h.version = kDumpVersion;
    h.since = g_shared->since;
    h.uncounted = g_shared->uncounted;
    h.written_at = GetCurrentTimestamp();
    h.entries = hash_get_num_entries(g_hash);
    bool ok = fwrite(&h, sizeof h, 1, f) == 1;
    HASH_SEQ_STATUS seq;
    hash_seq_init(&seq, g_hash);
    while (auto* e = static_cast<UsageEntry*>(hash_seq_search(&seq)))
        if (ok && fwrite(e, sizeof *e, 1, f) != 1) ok = false;
    if (FreeFile(f) != 0) ok = false;
    if (!ok) {
        ereport(LOG, (errcode_for_file_access(), errmsg("hive_tokens: could not write \"%s\": %m", tmp)));
        unlink(tmp);
        return;
    }
    (void)durable_rename(tmp, kDumpFile, LOG);
}

// At start (postmaster): the dump of the last clean shutdown, if any, back into shared memory.
// Its "since" is kept only if no server ran after it was written (pg_control's last update is not
// later); otherwise uses may have gone uncounted meanwhile and tracking counts from now.
void load_usage() {
    // A server starting as a standby (or for recovery) holds a copy of another server's dump
    // (a cold copy of the data directory): its uses are that server's to write, not this one's.
    if (access("standby.signal", F_OK) == 0 || access("recovery.signal", F_OK) == 0) {
        g_shared->recovery_start = true;  // uses are counted from the end of recovery on
        unlink(kDumpFile);
        return;
    }
    FILE* f = AllocateFile(kDumpFile, PG_BINARY_R);
    if (f == nullptr) {
        if (errno != ENOENT)
            ereport(LOG, (errcode_for_file_access(), errmsg("hive_tokens: could not read \"%s\": %m", kDumpFile)));
        return;
    }
    DumpHeader h;
    if (fread(&h, sizeof h, 1, f) == 1 && h.magic == kDumpMagic && h.version == kDumpVersion && h.entries >= 0) {
        bool crc_ok = false;
        ControlFileData* control = get_controlfile(DataDir, &crc_ok);
        if (crc_ok && control != nullptr && static_cast<pg_time_t>(control->time) <= timestamptz_to_time_t(h.written_at)) {
            g_shared->since = h.since;
            g_shared->uncounted = h.uncounted;
        }
        long entries = hash_get_num_entries(g_hash);
        uint64 dropped = 0;
        UsageEntry e;
        const TimestampTz now = GetCurrentTimestamp();
        for (int64 i = 0; i < h.entries && fread(&e, sizeof e, 1, f) == 1; ++i)
            if (e.uses > 0 && !add_shared(e.key, e.last_used, e.uses, &entries)) {
                dropped += static_cast<uint64>(e.uses);
                mark_uncounted_locked(e.key.database, now);  // the postmaster, alone: no lock
            }
        pg_atomic_fetch_add_u64(&g_shared->dropped, dropped);
    }
    FreeFile(f);
    unlink(kDumpFile);
}

void usage_shmem_startup() {
    if (g_prev_startup != nullptr) g_prev_startup();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found;
    g_shared = static_cast<UsageShared*>(ShmemInitStruct("hive_tokens usage", sizeof(UsageShared), &found));
    if (!found) {
        g_shared->lock = &(GetNamedLWLockTranche("hive_tokens usage"))->lock;
        g_shared->since = GetCurrentTimestamp();
        g_shared->last_flush = 0;
        g_shared->launcher = nullptr;
        pg_atomic_init_u64(&g_shared->dropped, 0);
        pg_atomic_init_u64(&g_shared->flushed, 0);
        memset(&g_shared->uncounted, 0, sizeof g_shared->uncounted);
        g_shared->recovery_start = false;
        memset(g_shared->upgrades, 0, sizeof g_shared->upgrades);
    }
    HASHCTL info;
    memset(&info, 0, sizeof info);
    info.keysize = sizeof(UsageKey);
    info.entrysize = sizeof(UsageEntry);
    g_hash = ShmemInitHash("hive_tokens usage by token", usage_max_tokens, usage_max_tokens, &info, HASH_ELEM | HASH_BLOBS);
    LWLockRelease(AddinShmemInitLock);
    if (!IsUnderPostmaster) {
        on_shmem_exit(dump_usage, 0);
        if (!found) load_usage();
    }
}

// ---- the flush worker (one per database with uses, started by the launcher) --------------------

UsageEntry* g_batch = nullptr;  // a copy of this database's entries (they stay in shared memory)
int g_batch_size = 0;
Oid g_flush_database = InvalidOid;
bool g_connected = false;

void copy_batch(Oid database) {
    LWLockAcquire(g_shared->lock, LW_SHARED);
    long n = hash_get_num_entries(g_hash);
    g_batch = static_cast<UsageEntry*>(MemoryContextAlloc(TopMemoryContext, sizeof(UsageEntry) * (n > 0 ? n : 1)));
    HASH_SEQ_STATUS seq;
    hash_seq_init(&seq, g_hash);
    while (auto* e = static_cast<UsageEntry*>(hash_seq_search(&seq)))
        if (e->key.database == database && g_batch_size < n) g_batch[g_batch_size++] = *e;
    LWLockRelease(g_shared->lock);
}

// After a chunk committed: the uses it wrote (or that belonged to tokens revoked meanwhile, or,
// with lost=true, that could not be written) leave shared memory; uses added since stay.
void settle(int off, int n, const bool* done, bool lost) {
    uint64 dropped = 0;
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    for (int i = off; i < off + n; ++i) {
        if (!done[i - off]) continue;
        auto* e = static_cast<UsageEntry*>(hash_search(g_hash, &g_batch[i].key, HASH_FIND, nullptr));
        if (e == nullptr) continue;
        e->uses -= g_batch[i].uses;
        if (lost) dropped += static_cast<uint64>(g_batch[i].uses);
        if (e->uses <= 0) hash_search(g_hash, &g_batch[i].key, HASH_REMOVE, nullptr);
    }
    LWLockRelease(g_shared->lock);
    count_dropped(g_flush_database, dropped);
}

// A worker that exits before it could connect (the database was dropped, or refuses
// connections): that database's uses are dropped, and counted as uncounted, and its hash
// upgrades are forgotten; otherwise they would come back every round. A connected worker leaves what it did not write in shared memory.
void flusher_exit(int, Datum) {
    if (g_connected) return;
    uint64 dropped = 0;
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    HASH_SEQ_STATUS seq;
    hash_seq_init(&seq, g_hash);
    while (auto* e = static_cast<UsageEntry*>(hash_seq_search(&seq))) {
        if (e->key.database != g_flush_database) continue;
        dropped += static_cast<uint64>(e->uses);
        hash_search(g_hash, &e->key, HASH_REMOVE, nullptr);
    }
    // and its hash upgrades: asked for again at the tokens' next use, wherever it is then
    for (int i = 0; i < kUpgradeSlots; ++i)
        if (g_shared->upgrades[i].database == g_flush_database) g_shared->upgrades[i].database = InvalidOid;
    LWLockRelease(g_shared->lock);
    count_dropped(g_flush_database, dropped);
}

// access_tokens of this database's hive_tokens (a member of the extension, with use_count), or
// InvalidOid. *exempt: its triggers are exactly the install script's, so the flush's UPDATE can
// leave the verified-token caches alone (it changes nothing verification decides on).
Oid usage_table(Oid* owner, bool* exempt) {
    Oid ext = get_extension_oid("hive_tokens", true);
    Oid nsp = get_namespace_oid("hive_tokens", true);
    if (!OidIsValid(ext) || !OidIsValid(nsp)) return InvalidOid;
    Oid rel = get_relname_relid("access_tokens", nsp);
    if (!OidIsValid(rel) || getExtensionOfObject(RelationRelationId, rel) != ext ||
        get_attnum(rel, "use_count") == InvalidAttrNumber || get_attnum(rel, "last_used_at") == InvalidAttrNumber ||
        get_rel_relkind(rel) != RELKIND_RELATION)
        return InvalidOid;
    HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
    if (!HeapTupleIsValid(tup)) return InvalidOid;
    *owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);

    static const char* const expected[][2] = {{"access_tokens_changed", "tokens_changed"},
                                              {"access_tokens_row_changed", "tokens_changed"},
                                              {"access_tokens_immutable", "immutable_token"},
                                              {"access_tokens_normalize", "normalize_token_row"}};
    Oid internal = get_namespace_oid("hive_tokens_internal", true);
    // A copy of the triggers: the catalog lookups below may process invalidations, and a relcache
    // rebuild frees the relation's trigdesc (the soak test's revokes and rotations made one
    // between two iterations: a crash of this worker).
    Relation r = table_open(rel, AccessShareLock);
    TriggerDesc* triggers = CopyTriggerDesc(r->trigdesc);
    table_close(r, NoLock);
    *exempt = triggers != nullptr;
    for (int i = 0; *exempt && i < triggers->numtriggers; ++i) {
        const Trigger& t = triggers->triggers[i];
        if (t.tgisinternal) continue;
        bool known = false;
        for (const auto& x : expected)
            if (strcmp(t.tgname, x[0]) == 0) {
                const char* fn = get_func_name(t.tgfoid);
                known = fn != nullptr && strcmp(fn, x[1]) == 0 && get_func_namespace(t.tgfoid) == internal &&
                        getExtensionOfObject(ProcedureRelationId, t.tgfoid) == ext;
            }
        if (!known) *exempt = false;
    }
    if (triggers != nullptr) FreeTriggerDesc(triggers);
    return rel;
}

// One transaction of the flush worker: body(rel, exempt) runs with SPI connected, as the owner of
// this database's access_tokens (rel) inside a security-restricted operation, and what it wrote
// commits. Without such a table (no extension here, or still 0.1) body does not run: false.
template <typename Body>
bool in_owner_transaction(const char* activity, Body&& body) {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens usage worker: SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, activity);
    Oid owner = InvalidOid;
    bool exempt = false;
    const Oid rel = usage_table(&owner, &exempt);
    if (OidIsValid(rel)) {
        Oid save_user;
        int save_sec;
        GetUserIdAndSecContext(&save_user, &save_sec);
        SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
        body(rel, exempt);
        SetUserIdAndSecContext(save_user, save_sec);
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    return OidIsValid(rel);
}

// The hash upgrades this database's backends asked for, in one transaction as the table's owner
// inside a security-restricted operation: a row gets its keyed hash only while it still holds the
// bcrypt the backend checked, and only if no other transaction holds it (SKIP LOCKED: never
// waited for). Every slot taken is freed, written or not: a token not upgraded now is asked for
// again at its next use.
void upgrade_hashes() {
    HashUpgrade* batch = static_cast<HashUpgrade*>(MemoryContextAlloc(TopMemoryContext, sizeof(HashUpgrade) * kUpgradeSlots));
    int n = 0;
    LWLockAcquire(g_shared->lock, LW_SHARED);
    for (int i = 0; i < kUpgradeSlots; ++i)
        if (g_shared->upgrades[i].database == g_flush_database) batch[n++] = g_shared->upgrades[i];
    LWLockRelease(g_shared->lock);
    if (n == 0) return;
    (void)in_owner_transaction("hive_tokens: storing keyed hashes of legacy tokens", [&](Oid rel, bool) {
        if (get_attnum(rel, "legacy_hash") == InvalidAttrNumber) return;
        Datum* ids = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        Datum* hashes = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        Datum* keys = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        Datum* bcrypts = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        for (int i = 0; i < n; ++i) {
            auto* u = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
            memcpy(u->data, batch[i].id, 16);
            ids[i] = UUIDPGetDatum(u);
            bytea* h = static_cast<bytea*>(palloc(VARHDRSZ + sizeof batch[i].hash));
            SET_VARSIZE(h, VARHDRSZ + sizeof batch[i].hash);
            memcpy(VARDATA(h), batch[i].hash, sizeof batch[i].hash);
            hashes[i] = PointerGetDatum(h);
            keys[i] = Int16GetDatum(batch[i].key_id);
            bcrypts[i] = PointerGetDatum(cstring_to_text_with_len(batch[i].bcrypt, sizeof batch[i].bcrypt));
        }
        Oid types[4] = {UUIDARRAYOID, BYTEAARRAYOID, INT2ARRAYOID, TEXTARRAYOID};
        Datum args[4] = {PointerGetDatum(construct_array(ids, n, UUIDOID, 16, false, TYPALIGN_CHAR)),
                         PointerGetDatum(construct_array(hashes, n, BYTEAOID, -1, false, TYPALIGN_INT)),
                         PointerGetDatum(construct_array(keys, n, INT2OID, sizeof(int16), true, TYPALIGN_SHORT)),
                         PointerGetDatum(construct_array(bcrypts, n, TEXTOID, -1, false, TYPALIGN_INT))};
        hive_tokens::pg::g_upgrading_legacy = true;
        int rc = SPI_execute_with_args(
            "UPDATE hive_tokens.access_tokens AS t"
            "   SET hash = u.hash, key_id = u.key_id, legacy_hash = NULL"
            "  FROM unnest($1, $2, $3, $4) AS u(id, hash, key_id, legacy)"
            " WHERE t.id = u.id AND t.legacy_hash = u.legacy"
            "   AND t.id IN (SELECT l.id FROM hive_tokens.access_tokens AS l"
            "                 WHERE l.id = ANY ($1) AND l.legacy_hash IS NOT NULL FOR UPDATE SKIP LOCKED)",
            4, types, args, nullptr, false, 0);
        hive_tokens::pg::g_upgrading_legacy = false;
        if (rc != SPI_OK_UPDATE) elog(ERROR, "hive_tokens hash upgrade: UPDATE failed (%d)", rc);
    });
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < kUpgradeSlots; ++i) {
        HashUpgrade& slot = g_shared->upgrades[i];
        if (slot.database != g_flush_database) continue;
        for (int j = 0; j < n; ++j)
            if (memcmp(slot.id, batch[j].id, 16) == 0 && memcmp(slot.bcrypt, batch[j].bcrypt, sizeof slot.bcrypt) == 0) {
                slot.database = InvalidOid;
                break;
            }
    }
    LWLockRelease(g_shared->lock);
}

}  // namespace

extern "C" {
PGDLLEXPORT void hive_tokens_usage_launcher(Datum arg);
PGDLLEXPORT void hive_tokens_usage_flusher(Datum arg);
}

// One database's uses in UPDATEs of kFlushChunk tokens, each in a transaction of its own, as the
// table's owner inside a security-restricted operation. It never waits for a row: rows another
// transaction holds keep their uses for the next flush (so a flush cannot deadlock with, or
// delay, a revoke or rotate); table locks wait at most lock_timeout (1 s). Uses of tokens revoked
// meanwhile are dropped. What it does not write stays in shared memory for the next flush; the
// launcher stops a worker that has not finished within a minute.
void hive_tokens_usage_flusher(Datum arg) {
    g_flush_database = DatumGetObjectId(arg);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    if (g_shared == nullptr) proc_exit(0);
    before_shmem_exit(flusher_exit, 0);
    BackgroundWorkerInitializeConnectionByOid(g_flush_database, InvalidOid, 0);
    g_connected = true;
    pgstat_report_appname("hive_tokens usage flush");
    // the database's and its owner's settings do not decide how the flush runs
    const struct {
        const char* name;
        const char* value;
    } settings[] = {{"default_transaction_read_only", "off"}, {"default_transaction_isolation", "read committed"},
                    {"default_transaction_deferrable", "off"},
                    {"statement_timeout", "0"}, {"lock_timeout", "1s"}, {"idle_in_transaction_session_timeout", "0"},
                    {"search_path", "pg_catalog, pg_temp"}, {"session_replication_role", "origin"},
                    {"row_security", "on"}, {"synchronous_commit", "local"}};
    for (const auto& g : settings)
        (void)set_config_option(g.name, g.value, PGC_SUSET, PGC_S_OVERRIDE, GUC_ACTION_SET, true, 0, false);
    copy_batch(g_flush_database);

    bool* done = static_cast<bool*>(MemoryContextAllocZero(TopMemoryContext, sizeof(bool) * kFlushChunk));
    for (int off = 0; off < g_batch_size; off += kFlushChunk) {
        const int n = g_batch_size - off < kFlushChunk ? g_batch_size - off : kFlushChunk;
        memset(done, 0, sizeof(bool) * kFlushChunk);
        uint64 written = 0;
        const bool found = in_owner_transaction("hive_tokens: writing token usage", [&](Oid, bool exempt) {
            Datum* ids = static_cast<Datum*>(palloc(sizeof(Datum) * n));
            for (int i = 0; i < n; ++i) {
                auto* u = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
                memcpy(u->data, g_batch[off + i].key.id, 16);
                ids[i] = UUIDPGetDatum(u);
            }
            // 1. The rows no other transaction holds: locked now, never waited for (a revoke or
            // rotate holding a row is not delayed by more than this transaction, and cannot
            // deadlock with it). 2. Of the others, those that still exist: kept for the next
            // flush; the rest were revoked meanwhile and their uses go with them.
            Oid id_array[1] = {UUIDARRAYOID};
            Datum all[1] = {PointerGetDatum(construct_array(ids, n, UUIDOID, 16, false, TYPALIGN_CHAR))};
            if (SPI_execute_with_args("SELECT t.id FROM hive_tokens.access_tokens AS t WHERE t.id = ANY ($1) FOR UPDATE SKIP LOCKED",
                                      1, id_array, all, nullptr, false, 0) != SPI_OK_SELECT)
                elog(ERROR, "hive_tokens usage flush: locking rows failed");
            bool* locked = static_cast<bool*>(palloc0(sizeof(bool) * n));
            auto mark = [&](bool* flags) {
                for (uint64 r = 0; r < SPI_processed; ++r) {
                    bool isnull;
                    Datum d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
                    if (isnull) continue;
                    const pg_uuid_t* u = DatumGetUUIDP(d);
                    for (int i = 0; i < n; ++i)
                        if (memcmp(u->data, g_batch[off + i].key.id, 16) == 0) flags[i] = true;
                }
            };
            mark(locked);
            Datum* lids = static_cast<Datum*>(palloc(sizeof(Datum) * n));
            Datum* ats = static_cast<Datum*>(palloc(sizeof(Datum) * n));
            Datum* uses = static_cast<Datum*>(palloc(sizeof(Datum) * n));
            Datum* others = static_cast<Datum*>(palloc(sizeof(Datum) * n));
            int nl = 0, no = 0;
            for (int i = 0; i < n; ++i) {
                if (!locked[i]) {
                    others[no++] = ids[i];
                    continue;
                }
                lids[nl] = ids[i];
                ats[nl] = TimestampTzGetDatum(g_batch[off + i].last_used);
                uses[nl] = Int64GetDatum(g_batch[off + i].uses);
                ++nl;
            }
            if (nl > 0) {
                Oid types[3] = {UUIDARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID};
                Datum args[3] = {PointerGetDatum(construct_array(lids, nl, UUIDOID, 16, false, TYPALIGN_CHAR)),
                                 PointerGetDatum(construct_array(ats, nl, TIMESTAMPTZOID, sizeof(TimestampTz),
                                                                 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)),
                                 PointerGetDatum(construct_array(uses, nl, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
                                                                 TYPALIGN_DOUBLE))};
                hive_tokens::pg::g_usage_flushing = exempt;
                int rc = SPI_execute_with_args(
                    "UPDATE hive_tokens.access_tokens AS t"
                    "   SET last_used_at = CASE WHEN t.last_used_at IS NULL OR t.last_used_at < u.at THEN u.at"
                    "                           ELSE t.last_used_at END,"
                    "       use_count = CASE WHEN t.use_count > 9223372036854775807 - u.n THEN 9223372036854775807"
                    "                        ELSE t.use_count + u.n END"
                    "  FROM unnest($1, $2, $3) AS u(id, at, n)"
                    " WHERE t.id = u.id",
                    3, types, args, nullptr, false, 0);
                hive_tokens::pg::g_usage_flushing = false;
                if (rc != SPI_OK_UPDATE) elog(ERROR, "hive_tokens usage flush: UPDATE failed (%d)", rc);
            }
            bool* exists = static_cast<bool*>(palloc0(sizeof(bool) * n));
            if (no > 0) {
                Datum rest[1] = {PointerGetDatum(construct_array(others, no, UUIDOID, 16, false, TYPALIGN_CHAR))};
                if (SPI_execute_with_args("SELECT t.id FROM hive_tokens.access_tokens AS t WHERE t.id = ANY ($1)", 1,
                                          id_array, rest, nullptr, true, 0) != SPI_OK_SELECT)
                    elog(ERROR, "hive_tokens usage flush: reading rows failed");
                mark(exists);
            }
            for (int i = 0; i < n; ++i) {
                done[i] = locked[i] || !exists[i];  // written, or revoked meanwhile
                if (locked[i]) written += static_cast<uint64>(g_batch[off + i].uses);
            }
        });
        // no interrupt is serviced between the commit and here
        const bool lost = !found;  // no table to write to here (no extension, or still 0.1)
        if (lost)
            for (int i = 0; i < n; ++i) done[i] = true;
        settle(off, n, done, lost);
        pg_atomic_fetch_add_u64(&g_shared->flushed, written);
        LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
        g_shared->last_flush = GetCurrentTimestamp();
        LWLockRelease(g_shared->lock);
    }
    upgrade_hashes();
    pgstat_report_activity(STATE_IDLE, nullptr);
    proc_exit(0);
}

namespace {

void clear_launcher(int, Datum) {
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    g_shared->launcher = nullptr;
    LWLockRelease(g_shared->lock);
}

// One round: a flush worker for each database with uses, one after the other.
void flush_round() {
    constexpr int kMaxDatabases = 256;
    Oid databases[kMaxDatabases];
    int ndb = 0;
    LWLockAcquire(g_shared->lock, LW_SHARED);
    HASH_SEQ_STATUS seq;
    hash_seq_init(&seq, g_hash);
    while (auto* e = static_cast<UsageEntry*>(hash_seq_search(&seq))) {
        bool seen = false;
        for (int i = 0; i < ndb && !seen; ++i) seen = databases[i] == e->key.database;
        if (!seen && ndb < kMaxDatabases) databases[ndb++] = e->key.database;  // the rest: next round
    }
    for (int u = 0; u < kUpgradeSlots; ++u) {
        const Oid db = g_shared->upgrades[u].database;
        if (!OidIsValid(db)) continue;
        bool seen = false;
        for (int i = 0; i < ndb && !seen; ++i) seen = databases[i] == db;
        if (!seen && ndb < kMaxDatabases) databases[ndb++] = db;
    }
    LWLockRelease(g_shared->lock);
    for (int i = 0; i < ndb; ++i) {
        BackgroundWorker w = hive_tokens::pg::library_worker(
            "hive_tokens_usage_flusher", "hive_tokens usage flush", BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION,
            BgWorkerStart_RecoveryFinished, BGW_NEVER_RESTART);
        w.bgw_main_arg = ObjectIdGetDatum(databases[i]);
        w.bgw_notify_pid = MyProcPid;
        BackgroundWorkerHandle* handle = nullptr;
        if (!RegisterDynamicBackgroundWorker(&w, &handle)) return;  // no free worker slot: next round
        // Until it has exited (polled every tenth of a second). A worker still running after a
        // minute (waiting to connect to a database being renamed, say) is stopped, so that one
        // database cannot hold up the others; what it did not write stays for the next round.
        const TimestampTz registered = GetCurrentTimestamp();
        bool stopping = false;
        for (;;) {
            pid_t pid;
            const BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);
            if (status == BGWH_STOPPED) break;
            if (status == BGWH_POSTMASTER_DIED) proc_exit(1);
            if (!stopping && TimestampDifferenceExceeds(registered, GetCurrentTimestamp(), 60000)) {
                TerminateBackgroundWorker(handle);
                stopping = true;
            }
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100L, PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
        }
        pfree(handle);
    }
}

}  // namespace

// The launcher: wakes every hive_tokens.usage_flush_interval seconds (or when shared memory is
// three quarters full, at most once a second) and flushes. Runs on a primary only.
void hive_tokens_usage_launcher(Datum) {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    if (g_shared == nullptr) proc_exit(0);
    pgstat_report_appname("hive_tokens usage launcher");
    LWLockAcquire(g_shared->lock, LW_EXCLUSIVE);
    g_shared->launcher = MyLatch;
    if (g_shared->recovery_start) {
        // a promoted standby: nothing was counted while it was one, and the old primary's
        // unwritten uses are gone, so uses are counted completely from now on
        g_shared->since = GetCurrentTimestamp();
        g_shared->recovery_start = false;
    }
    LWLockRelease(g_shared->lock);
    before_shmem_exit(clear_launcher, 0);
    TimestampTz last = GetCurrentTimestamp();
    for (;;) {
        // a reload that arrived during the last round sets the interval of this wait
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        const long timeout = static_cast<long>(hive_tokens::pg::usage_flush_interval) * 1000L;
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        const TimestampTz now = GetCurrentTimestamp();
        if (!TimestampDifferenceExceeds(last, now, 1000)) {
            pg_usleep(1000L * 1000L - (now - last));  // woken early: at most one round a second
            CHECK_FOR_INTERRUPTS();
        }
        last = GetCurrentTimestamp();
        flush_round();
    }
}

void hive_tokens::pg::usage_preload() {
    DefineCustomIntVariable(
        "hive_tokens.usage_max_tokens", "Distinct tokens whose uses shared memory holds between two flushes.",
        "Uses of further tokens are dropped until the next flush (usage_tracking().dropped_uses counts them); "
        "a flush starts early when three quarters are taken. About 100 bytes each.",
        &usage_max_tokens, 50000, 100, 10000000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    g_prev_request = shmem_request_hook;
    shmem_request_hook = usage_shmem_request;
    g_prev_startup = shmem_startup_hook;
    shmem_startup_hook = usage_shmem_startup;

    // started once recovery has finished: a hot standby never flushes
    BackgroundWorker w = library_worker("hive_tokens_usage_launcher", "hive_tokens usage launcher", BGWORKER_SHMEM_ACCESS,
                                        BgWorkerStart_RecoveryFinished, 10);
    RegisterBackgroundWorker(&w);
}

void hive_tokens::pg::register_usage_callbacks() { RegisterXactCallback(usage_xact_callback, nullptr); }

void hive_tokens::pg::queue_hash_upgrade(const core::Uuid& id, const char bcrypt[60], int16 key_id,
                                         const std::uint8_t hash[32]) noexcept {
    if (g_shared == nullptr || !OidIsValid(MyDatabaseId) || RecoveryInProgress()) return;
    if (!LWLockConditionalAcquire(g_shared->lock, LW_EXCLUSIVE)) return;  // never waits: the next use asks again
    int free_slot = -1;
    for (int i = 0; i < kUpgradeSlots; ++i) {
        HashUpgrade& slot = g_shared->upgrades[i];
        if (slot.database == MyDatabaseId && memcmp(slot.id, id.b, 16) == 0) {
            free_slot = i;  // asked for already: this request replaces it
            break;
        }
        if (slot.database == InvalidOid && free_slot < 0) free_slot = i;
    }
    if (free_slot >= 0) {
        HashUpgrade& slot = g_shared->upgrades[free_slot];
        slot.database = MyDatabaseId;
        memcpy(slot.id, id.b, 16);
        slot.key_id = key_id;
        memcpy(slot.hash, hash, sizeof slot.hash);
        memcpy(slot.bcrypt, bcrypt, sizeof slot.bcrypt);
    }
    LWLockRelease(g_shared->lock);
}

void hive_tokens::pg::note_use(const core::Uuid& id, TimestampTz at) noexcept {
    if (g_shared == nullptr || RecoveryInProgress()) return;
    if (!track_usage) {
        g_local_uncounted = at;  // published at transaction end: unused_tokens() must know
        return;
    }
    try {
        if (g_local == nullptr) g_local = new std::unordered_map<core::Uuid, Pending, core::UuidHash>();
        auto it = g_local->find(id);
        if (it != g_local->end()) {
            it->second.uses = saturating_add(it->second.uses, 1);
            if (at > it->second.at) it->second.at = at;
        } else if (g_local->size() < kLocalMax) {
            g_local->emplace(id, Pending{at, 1});
        } else {
            ++g_local_dropped;
            g_local_uncounted = at;
        }
    } catch (...) {
        ++g_local_dropped;  // counting is best effort: never an error
        g_local_uncounted = at;
    }
    if (!g_exit_hook) {
        g_exit_hook = true;
        before_shmem_exit(usage_backend_exit, 0);
    }
}

// usage_tracking() -> (active, since, pending_tokens, capacity, dropped_uses, flushed_uses,
// last_flush, uncounted_at): the state of usage tracking in this server.
HT_FUNCTION(usage_tracking) {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) elog(ERROR, "usage_tracking: not a composite result");
    desc = BlessTupleDesc(desc);
    Datum values[8] = {BoolGetDatum(false), 0, 0, 0, 0, 0, 0, 0};
    bool nulls[8] = {false, true, true, true, true, true, true, true};
    if (g_shared != nullptr) {
        values[0] = BoolGetDatum(!RecoveryInProgress());
        LWLockAcquire(g_shared->lock, LW_SHARED);
        values[1] = TimestampTzGetDatum(g_shared->since);
        values[2] = Int64GetDatum(hash_get_num_entries(g_hash));
        TimestampTz last_flush = g_shared->last_flush;
        LWLockRelease(g_shared->lock);
        values[3] = Int32GetDatum(usage_max_tokens);
        values[4] = Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&g_shared->dropped)));
        values[5] = Int64GetDatum(static_cast<int64>(pg_atomic_read_u64(&g_shared->flushed)));
        values[6] = TimestampTzGetDatum(last_flush);
        LWLockAcquire(g_shared->lock, LW_SHARED);
        const TimestampTz uncounted = uncounted_for(MyDatabaseId);
        LWLockRelease(g_shared->lock);
        values[7] = TimestampTzGetDatum(uncounted);
        for (int i = 1; i < 8; ++i) nulls[i] = false;
        nulls[6] = last_flush == 0;
        nulls[7] = uncounted == 0;
    }
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

// unused_cutoff(unused_for interval) -> timestamptz: the time before which a token's last use
// (or, never used, its creation) makes it "unused for unused_for", provided uses have been
// counted that long on this server; 55000 when they have not been or are not counted at all.
HT_FUNCTION(unused_cutoff) {
    if (PG_ARGISNULL(0)) throw core::Error(core::ErrorKind::NullValue, "unused_for must not be null");
    Datum unused_for = PG_GETARG_DATUM(0);
    Interval zero;
    memset(&zero, 0, sizeof zero);
    if (DatumGetInt32(DirectFunctionCall2(interval_cmp, unused_for, IntervalPGetDatum(&zero))) <= 0)
        throw core::Error(core::ErrorKind::InvalidParameterValue, "unused_for must be a positive interval");
    // Compared as a span, '-1 year 361 days' is one day; subtracted from a date, it is four days
    // into the future. What counts is the time it reaches back to.
    const TimestampTz start = GetCurrentTransactionStartTimestamp();
    const TimestampTz cutoff =
        DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval, TimestampTzGetDatum(start), unused_for));
    if (cutoff >= start)
        throw core::Error(core::ErrorKind::InvalidParameterValue, "unused_for must reach back in time",
                          "Its parts, subtracted from now in this time zone, do not go back.",
                          "Pass a plain interval such as '90 days'.");
    if (g_shared == nullptr || RecoveryInProgress())
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState, "token usage is not being tracked on this server",
                          RecoveryInProgress() ? "A hot standby does not count uses; ask the primary." : "",
                          RecoveryInProgress() ? ""
                                               : "Add hive_tokens to shared_preload_libraries and restart the server; "
                                                 "uses are counted from then on.");
    LWLockAcquire(g_shared->lock, LW_SHARED);
    // promoted, and the launcher has not started counting yet: nothing is known
    const TimestampTz since = g_shared->recovery_start ? GetCurrentTimestamp() : g_shared->since;
    TimestampTz uncounted = uncounted_for(MyDatabaseId);
    LWLockRelease(g_shared->lock);
    if (g_local_uncounted > uncounted) uncounted = g_local_uncounted;  // this transaction's own
    if (cutoff < since)
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          std::string("token usage has been tracked only since ") + timestamptz_to_str(since),
                          "A token unused for that long cannot be told from one used before tracking began.",
                          "Pass a shorter interval, or ask again later.");
    if (uncounted != 0 && cutoff <= uncounted)
        throw core::Error(core::ErrorKind::ObjectNotInPrerequisiteState,
                          std::string("a use of a token went uncounted at ") + timestamptz_to_str(uncounted),
                          "Shared or backend memory was full (usage_tracking().dropped_uses), a session had "
                          "hive_tokens.track_usage off, or a database could not be written; a token unused since "
                          "before then cannot be told from one whose use was lost.",
                          "Pass an interval shorter than the time since then; raise hive_tokens.usage_max_tokens if uses "
                          "are dropped.");
    PG_RETURN_TIMESTAMPTZ(cutoff);
}

// usage_pending(token_id uuid) -> boolean: whether this backend (its transaction's own uses, not
// yet handed over) or shared memory holds uses of this database's token that no flush has
// committed yet (in flight included), so that unused_tokens() does not call a token unused that
// was just used.
HT_FUNCTION(usage_pending) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    if (g_shared == nullptr) PG_RETURN_BOOL(false);
    core::Uuid id;
    memcpy(id.b, DatumGetUUIDP(PG_GETARG_DATUM(0))->data, 16);
    if (g_local != nullptr && g_local->find(id) != g_local->end()) PG_RETURN_BOOL(true);
    UsageKey key;
    memset(&key, 0, sizeof key);
    key.database = MyDatabaseId;
    memcpy(key.id, DatumGetUUIDP(PG_GETARG_DATUM(0))->data, 16);
    LWLockAcquire(g_shared->lock, LW_SHARED);
    const bool found = hash_search(g_hash, &key, HASH_FIND, nullptr) != nullptr;
    LWLockRelease(g_shared->lock);
    PG_RETURN_BOOL(found);
}
