// Refused management in the audit log. A refused issue(), rotate(), revoke() or policy change
// raises an error, and the error rolls back every row its transaction wrote: an event stored by
// the refusing transaction would vanish with it. The backend hands the event to a dynamic
// background worker (no shared_preload_libraries needed) that inserts it in a transaction of its
// own, as the owner of the audit log. The event travels in the worker's bgw_extra (plain data,
// no secret: ids, the action and a reason code; the server log keeps the full message).
//
// Bounded: one worker per backend at a time; refusals while it runs are counted and reported
// with the next event ("also_refused"). A full worker pool (max_worker_processes) drops the
// event, which the server log still holds.
#include "refusal_audit.h"

#include <cstring>

#include "caller.h"
#include "guard.h"
#include "worker.h"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

namespace {

// The event, as it travels in bgw_extra.
struct RefusalRecord {
    Oid database;
    Oid owner;       // the audit log's owner: the worker connects as this role
    Oid actor_role;  // the outer role of the refused call
    uint32 also_refused;
    TimestampTz at;  // when the call was refused
    uint8 actor_kind;
    uint8 has_organization, has_token, has_user;
    uint8 organization[16], token[16], user[16];
    char action[29];
    char reason[19];
};
static_assert(sizeof(RefusalRecord) <= BGW_EXTRALEN, "the event must fit in bgw_extra");

BackgroundWorkerHandle* g_inflight = nullptr;  // TopMemoryContext
uint32 g_pending = 0;                          // refusals not yet reported

void copy_text(char* out, std::size_t size, const std::string& in) {
    std::size_t n = in.size() < size - 1 ? in.size() : size - 1;
    memcpy(out, in.data(), n);
    out[n] = '\0';
}

// The audit log's owner, or InvalidOid when the table does not exist (a database at 0.1).
Oid audit_log_owner() {
    Oid nsp = get_namespace_oid("hive_tokens", true);
    if (!OidIsValid(nsp)) return InvalidOid;
    Oid rel = get_relname_relid("audit_log", nsp);
    if (!OidIsValid(rel)) return InvalidOid;
    HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
    if (!HeapTupleIsValid(tup)) return InvalidOid;
    Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    return owner;
}

}  // namespace

void hive_tokens::pg::record_refusal(const RefusalActor& actor, const std::string& action,
                                     const std::string& reason) noexcept {
    RefusalRecord r;
    memset(&r, 0, sizeof r);
    r.actor_kind = static_cast<uint8>(actor.kind);
    r.has_organization = actor.has_organization;
    r.has_token = actor.has_token;
    r.has_user = actor.has_user;
    memcpy(r.organization, actor.organization.b, 16);
    memcpy(r.token, actor.token.b, 16);
    memcpy(r.user, actor.user.b, 16);
    copy_text(r.action, sizeof r.action, action);
    copy_text(r.reason, sizeof r.reason, reason);
    MemoryContext oldcxt = CurrentMemoryContext;
    PG_TRY();
    {
        if (!RecoveryInProgress()) {
            if (g_inflight != nullptr) {
                pid_t pid;
                BgwHandleStatus st = GetBackgroundWorkerPid(g_inflight, &pid);
                if (st == BGWH_STARTED || st == BGWH_NOT_YET_STARTED) {
                    ++g_pending;  // reported with the next event
                    r.owner = InvalidOid;
                } else {
                    pfree(g_inflight);
                    g_inflight = nullptr;
                }
            }
            if (g_inflight == nullptr) r.owner = audit_log_owner();
            if (OidIsValid(r.owner)) {
                r.database = MyDatabaseId;
                r.actor_role = OidIsValid(hive_tokens::pg::g_management_caller) ? hive_tokens::pg::g_management_caller
                                                                                 : GetOuterUserId();
                r.also_refused = g_pending;
                r.at = GetCurrentTimestamp();
                BackgroundWorker w = hive_tokens::pg::library_worker(
                    "hive_tokens_refusal_worker", "hive_tokens refusal recorder",
                    BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION, BgWorkerStart_RecoveryFinished,
                    BGW_NEVER_RESTART);
                memcpy(w.bgw_extra, &r, sizeof r);
                w.bgw_notify_pid = 0;
                MemoryContext top = MemoryContextSwitchTo(TopMemoryContext);
                BackgroundWorkerHandle* handle = nullptr;
                if (RegisterDynamicBackgroundWorker(&w, &handle)) {
                    g_inflight = handle;
                    g_pending = 0;
                } else {
                    ++g_pending;
                }
                MemoryContextSwitchTo(top);
            }
        }
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(oldcxt);
        FlushErrorState();  // recording must never turn the refusal into another error
    }
    PG_END_TRY();
}

extern "C" {
PGDLLEXPORT void hive_tokens_refusal_worker(Datum arg);
}

// The worker: one INSERT in its own transaction, then exit.
void hive_tokens_refusal_worker(Datum) {
    RefusalRecord r;
    memcpy(&r, MyBgworkerEntry->bgw_extra, sizeof r);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(r.database, r.owner, 0);
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens refusal recorder: SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "hive_tokens: recording a refused token management call");
    if (OidIsValid(audit_log_owner())) {
        static const char* const kinds[] = {"role", "token", "member"};
        const char* role = GetUserNameFromId(r.actor_role, true);
        Oid types[9] = {UUIDOID, TEXTOID, UUIDOID, UUIDOID, NAMEOID, TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID};
        Datum args[9];
        char nulls[10] = "         ";
        auto uuid_arg = [&](int i, bool has, const uint8* b) {
            if (!has) {
                nulls[i] = 'n';
                args[i] = 0;
                return;
            }
            pg_uuid_t* u = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
            memcpy(u->data, b, 16);
            args[i] = UUIDPGetDatum(u);
        };
        uuid_arg(0, r.has_organization, r.organization);
        args[1] = CStringGetTextDatum(kinds[r.actor_kind < 3 ? r.actor_kind : 0]);
        uuid_arg(2, r.has_token, r.token);
        uuid_arg(3, r.has_user, r.user);
        args[4] = DirectFunctionCall1(namein, CStringGetDatum(role ? role : "?"));
        args[5] = CStringGetTextDatum(r.action);
        args[6] = CStringGetTextDatum(r.reason);
        args[7] = Int64GetDatum(r.also_refused);
        args[8] = TimestampTzGetDatum(r.at);
        if (SPI_execute_with_args(
                "INSERT INTO hive_tokens.audit_log (at, event, organization_id, actor_kind, actor_token_id, actor_user_id, "
                "actor_role, details) VALUES ($9, 'refused', $1, $2, $3, $4, $5, "
                "pg_catalog.jsonb_build_object('action', $6, 'reason', $7, 'also_refused', $8))",
                9, types, args, nulls, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "hive_tokens refusal recorder: INSERT failed");
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, nullptr);
    proc_exit(0);
}
