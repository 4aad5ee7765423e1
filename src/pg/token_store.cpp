// Issuing, verifying and hashing tokens against hive_tokens.access_tokens.
//
// Verification is a primary-key probe through the table's index (systable_beginscan on the
// pkey), not SPI: no planning, no executor start-up. It reads with the latest snapshot, so a
// revoke committed by any session is seen by the very next verify, whatever the isolation
// level of the verifying transaction.
#include <sodium.h>

#include "../core/keyring.h"
#include "../core/token_codec.h"
#include "guard.h"
#include "keyring_loader.h"

extern "C" {
#include "access/genam.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::current_keyring;

namespace {

constexpr const char* kSchema = "hive_tokens";

Oid table_oid(const char* relname) {
    Oid nsp = get_namespace_oid(kSchema, false);
    Oid relid = get_relname_relid(relname, nsp);
    if (!OidIsValid(relid))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation %s.%s does not exist", kSchema, relname),
                        errhint("Is the extension hive_tokens installed in this database?")));
    return relid;
}

AttrNumber attnum(TupleDesc desc, const char* name) {
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0) return a->attnum;
    }
    elog(ERROR, "hive_tokens: column \"%s\" is missing", name);
    return InvalidAttrNumber;
}

// The result of looking a token up.
enum class Reason { Ok, Malformed, Checksum, Unknown, Revoked, Expired, KeyUnavailable };

const char* reason_text(Reason r) {
    switch (r) {
        case Reason::Ok: return "ok";
        case Reason::Malformed: return "malformed";
        case Reason::Checksum: return "checksum";
        case Reason::Unknown: return "unknown";
        case Reason::Revoked: return "revoked";
        case Reason::Expired: return "expired";
        case Reason::KeyUnavailable: return "key_unavailable";
    }
    return "unknown";
}

// Does the stored (hash, key_id) match this token? KeyUnavailable if the key is not in the ring.
Reason compare_hash(const core::Keyring& ring, const char* s, std::size_t len, Datum hash_d, bool hash_null,
                    Datum key_d, bool key_null) {
    if (hash_null || key_null) return Reason::Unknown;
    const core::ServerKey* key = ring.find(DatumGetInt16(key_d));
    if (key == nullptr) return Reason::KeyUnavailable;
    bytea* stored = DatumGetByteaPP(hash_d);
    if (VARSIZE_ANY_EXHDR(stored) != core::kHashBytes) return Reason::Unknown;
    std::uint8_t h[core::kHashBytes];
    core::keyed_hash(*key, s, len, h);
    bool eq = core::hash_equal(h, reinterpret_cast<const std::uint8_t*>(VARDATA_ANY(stored)));
    sodium_memzero(h, sizeof h);
    return eq ? Reason::Ok : Reason::Unknown;
}

// Looks the token up. When `result_desc` is given and the token is live, *record receives a
// tuple of that descriptor filled from the same-named columns of the stored row.
Reason check_token(const char* s, std::size_t len, TupleDesc result_desc, HeapTuple* record) {
    core::ParsedToken pt;
    core::ParseResult pr = core::parse_token(s, len, &pt);
    if (!pr.ok()) return pr.status == core::ParseStatus::BadChecksum ? Reason::Checksum : Reason::Malformed;
    pg_uuid_t id;
    memcpy(id.data, pt.id, sizeof id.data);
    sodium_memzero(&pt, sizeof pt);  // the secret is re-derived from `s` by the keyed hash

    const core::Keyring& ring = current_keyring();
    // Parallel mode forbids taking a new snapshot; there the query's own snapshot is used.
    Snapshot snap = IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot();
    Reason reason = Reason::Unknown;

    Relation rel = table_open(table_oid("access_tokens"), AccessShareLock);
    ScanKeyData key;
    TupleDesc desc = RelationGetDescr(rel);
    ScanKeyInit(&key, attnum(desc, "id"), BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&id));
    SysScanDesc scan = systable_beginscan(rel, RelationGetPrimaryKeyIndex(rel), true, snap, 1, &key);
    HeapTuple tup = systable_getnext(scan);
    bool found = HeapTupleIsValid(tup);
    if (found) {
        bool hn, kn, en;
        Datum h = heap_getattr(tup, attnum(desc, "hash"), desc, &hn);
        Datum k = heap_getattr(tup, attnum(desc, "key_id"), desc, &kn);
        Datum e = heap_getattr(tup, attnum(desc, "expires_at"), desc, &en);
        reason = compare_hash(ring, s, len, h, hn, k, kn);
        if (reason == Reason::Ok && !en && DatumGetTimestampTz(e) <= GetCurrentTimestamp()) reason = Reason::Expired;
        if (reason == Reason::Ok && result_desc != nullptr) {
            Datum* values = static_cast<Datum*>(palloc(result_desc->natts * sizeof(Datum)));
            bool* nulls = static_cast<bool*>(palloc(result_desc->natts * sizeof(bool)));
            for (int i = 0; i < result_desc->natts; ++i)
                values[i] = heap_getattr(tup, attnum(desc, NameStr(TupleDescAttr(result_desc, i)->attname)), desc,
                                         &nulls[i]);
            *record = heap_form_tuple(result_desc, values, nulls);
        }
    }
    systable_endscan(scan);
    table_close(rel, NoLock);

    if (!found) {
        // A revoked token leaves a tombstone (id, hash): only the holder of the real secret
        // learns that it was revoked; anyone else gets "unknown".
        Relation trel = table_open(table_oid("revoked_tokens"), AccessShareLock);
        TupleDesc tdesc = RelationGetDescr(trel);
        ScanKeyInit(&key, attnum(tdesc, "id"), BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&id));
        scan = systable_beginscan(trel, RelationGetPrimaryKeyIndex(trel), true, snap, 1, &key);
        tup = systable_getnext(scan);
        if (HeapTupleIsValid(tup)) {
            bool hn, kn;
            Datum h = heap_getattr(tup, attnum(tdesc, "hash"), tdesc, &hn);
            Datum k = heap_getattr(tup, attnum(tdesc, "key_id"), tdesc, &kn);
            if (compare_hash(ring, s, len, h, hn, k, kn) == Reason::Ok) reason = Reason::Revoked;
        }
        systable_endscan(scan);
        table_close(trel, NoLock);
    }
    return reason;
}

}  // namespace

HT_FUNCTION(hive_tokens_verify) {
    text* t = PG_GETARG_TEXT_PP(0);
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("verify() must return a composite type")));
    desc = BlessTupleDesc(desc);
    HeapTuple record = nullptr;
    if (check_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), desc, &record) != Reason::Ok || record == nullptr)
        PG_RETURN_NULL();
    PG_RETURN_DATUM(HeapTupleGetDatum(record));
}

HT_FUNCTION(hive_tokens_verify_reason) {
    text* t = PG_GETARG_TEXT_PP(0);
    PG_RETURN_TEXT_P(cstring_to_text(reason_text(check_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), nullptr, nullptr))));
}

HT_FUNCTION(hive_tokens_hash) {
    text* t = PG_GETARG_TEXT_PP(0);
    const char* s = VARDATA_ANY(t);
    std::size_t len = VARSIZE_ANY_EXHDR(t);
    core::ParsedToken pt;
    core::ParseResult pr = core::parse_token(s, len, &pt);
    sodium_memzero(&pt, sizeof pt);
    if (!pr.ok())
        ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), errmsg("invalid access token: %s", core::describe(pr.status))));
    const core::Keyring& ring = current_keyring();
    bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + core::kHashBytes));
    SET_VARSIZE(out, VARHDRSZ + core::kHashBytes);
    core::keyed_hash(ring.issuing(), s, len, reinterpret_cast<std::uint8_t*>(VARDATA(out)));
    PG_RETURN_BYTEA_P(out);
}

// _mint(kind text) -> (id uuid, token text, hash bytea, key_id int2, first_characters text).
// Internal to issue(); EXECUTE is revoked from PUBLIC.
HT_FUNCTION(hive_tokens_mint) {
    text* kt = PG_GETARG_TEXT_PP(0);
    core::TokenKind kind;
    if (!core::kind_from_name(VARDATA_ANY(kt), VARSIZE_ANY_EXHDR(kt), &kind))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid token kind"),
                        errhint("The kind is one of organization, project, personal.")));
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("_mint() must return a composite type")));
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
HT_FUNCTION(hive_tokens_keyring) {
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
