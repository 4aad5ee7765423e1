// Reading Hive's token table for import_hive_tokens() (hive_tokens--0.2.sql, "Migrating from Hive").
//
// Entry point (hive_tokens_internal): hive_token_rows.
//
// The source is any table or view the caller names, possibly owned by someone else: reading it
// runs its owner's code (a view's functions, row-level-security policies, the output and sort
// functions of its column types). So the rows are read as the source's owner, inside a
// security-restricted operation with a safe search_path, the way PostgreSQL runs maintenance
// commands on a table: whatever that code does, it does with its owner's rights, not with those
// of the DBA who imports. The rows are materialized before the caller's identity comes back.
#include "guard.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace {

// The types each of Hive's columns may have in a source: built-in ones only (a domain over one
// too), so that turning a value into jsonb runs no user-defined cast or output function: those
// would run as the source's owner, who may be the DBA that made a view over another role's table.
struct Column {
    const char* name;
    Oid types[4];
};
const Column kColumns[] = {
    {"id", {UUIDOID, TEXTOID, VARCHAROID, InvalidOid}},
    {"organization_id", {UUIDOID, TEXTOID, VARCHAROID, InvalidOid}},
    {"created_at", {TIMESTAMPTZOID, TIMESTAMPOID, TEXTOID, VARCHAROID}},
    {"title", {TEXTOID, VARCHAROID, InvalidOid, InvalidOid}},
    {"description", {TEXTOID, VARCHAROID, InvalidOid, InvalidOid}},
    {"permissions", {TEXTARRAYOID, VARCHARARRAYOID, JSONBOID, JSONOID}},
    {"assigned_resources", {JSONBOID, JSONOID, InvalidOid, InvalidOid}},
    {"hash", {TEXTOID, VARCHAROID, InvalidOid, InvalidOid}},
    {"first_characters", {TEXTOID, VARCHAROID, InvalidOid, InvalidOid}},
    {"project_id", {UUIDOID, TEXTOID, VARCHAROID, InvalidOid}},
    {"user_id", {UUIDOID, TEXTOID, VARCHAROID, InvalidOid}},
    {"expires_at", {TIMESTAMPTZOID, TIMESTAMPOID, TEXTOID, VARCHAROID}},
};

void check_column_types(Oid relid) {
    for (const Column& c : kColumns) {
        const AttrNumber n = get_attnum(relid, c.name);
        if (n == InvalidAttrNumber)
            ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("the source has no column \"%s\"", c.name)));
        const Oid type = getBaseType(get_atttype(relid, n));
        bool ok = false;
        for (Oid t : c.types) ok = ok || (t != InvalidOid && t == type);
        if (!ok)
            ereport(ERROR, (errextension(), errcode(ERRCODE_DATATYPE_MISMATCH),
                            errmsg("column \"%s\" of the source has type %s", c.name, format_type_be(get_atttype(relid, n))),
                            errdetail("Hive's columns are read only from built-in types (uuid, timestamptz, text, text[], "
                                      "jsonb and the like): another type's conversion would be code of its own."),
                            errhint("Make a view that casts the column to the type Hive uses.")));
    }
}

}  // namespace

// hive_token_rows(source regclass) -> setof (ordinal bigint, total bigint, r jsonb): each row of
// the source as a jsonb object of Hive's twelve columns, in created_at, id order, read through a
// cursor (a tuplestore holds them, spilling to disk past work_mem). The caller needs SELECT on
// the source (42501); every column must be of a built-in type (42804).
HT_FUNCTION(hive_token_rows) {
    const Oid relid = PG_GETARG_OID(0);
    // Locked first, so that it cannot be dropped or renamed between the checks and the reads (the
    // lock is held until the transaction ends), then looked up.
    LockRelationOid(relid, AccessShareLock);
    HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    if (!HeapTupleIsValid(tup))
        ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
    const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
        ereport(ERROR, (errextension(), errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for the source %s", get_rel_name(relid)),
                        errdetail("import_hive_tokens() reads the source as its owner, and only for a caller who may read it.")));
    check_column_types(relid);
    const char* nsp_name = get_namespace_name(get_rel_namespace(relid));
    const char* rel_name = get_rel_name(relid);
    if (nsp_name == nullptr || rel_name == nullptr)
        ereport(ERROR, (errextension(), errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
    const char* name = quote_qualified_identifier(nsp_name, rel_name);
    char* count_query = psprintf("SELECT pg_catalog.count(*) FROM %s AS s", name);
    char* query = psprintf(
        "SELECT pg_catalog.jsonb_build_object('id', s.id, 'organization_id', s.organization_id, 'created_at', s.created_at,"
        " 'title', s.title, 'description', s.description, 'permissions', s.permissions,"
        " 'assigned_resources', s.assigned_resources, 'hash', s.hash, 'first_characters', s.first_characters,"
        " 'project_id', s.project_id, 'user_id', s.user_id, 'expires_at', s.expires_at)"
        " FROM %s AS s ORDER BY s.created_at, s.id",
        name);

    InitMaterializedSRF(fcinfo, 0);
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_token_rows: SPI_connect failed");
    Oid save_user;
    int save_sec;
    GetUserIdAndSecContext(&save_user, &save_sec);
    SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    const int nest = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    // (an error here aborts the transaction, which restores the user, the context and the GUCs)
    if (SPI_execute(count_query, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
        elog(ERROR, "hive_token_rows: counting the source's rows failed");
    bool isnull = false;
    const int64 total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    SPIPlanPtr plan = SPI_prepare(query, 0, nullptr);
    if (plan == nullptr) elog(ERROR, "hive_token_rows: preparing the read failed");
    Portal cursor = SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);
    int64 ordinal = 0;
    for (;;) {
        SPI_cursor_fetch(cursor, true, 1000);
        if (SPI_processed == 0) break;
        for (uint64 i = 0; i < SPI_processed; ++i) {
            Datum r = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
            ++ordinal;
            Datum values[3] = {Int64GetDatum(ordinal), Int64GetDatum(total > ordinal ? total : ordinal), r};
            bool nulls[3] = {false, false, isnull};
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        }
        SPI_freetuptable(SPI_tuptable);
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(cursor);
    AtEOXact_GUC(false, nest);
    SetUserIdAndSecContext(save_user, save_sec);
    SPI_finish();
    return static_cast<Datum>(0);
}
