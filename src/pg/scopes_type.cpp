// Types hive_tokens.scopes and stored_scopes: I/O, set operators, btree/hash support, casts,
// catalog functions.
//
// Entry points:
//   hive_tokens: has_permission (operator ?), has_any_permission (?|), has_all_permissions (?&),
//     permission_names (cast to text[]), scopes (cast from text[]), permission_count,
//     scopes_of_level, depends_closure, missing_dependencies, assignable_scopes, retired_scopes,
//     labels
//   hive_tokens_internal: scopes_in, scopes_out, scopes_recv, scopes_send, stored_scopes_in,
//     stored_scopes_out, stored_scopes_recv, stored_scopes_send, scopes_contains (@>),
//     scopes_contained (<@), scopes_overlap (&&), scopes_union (|), scopes_intersect (&),
//     scopes_minus (-), scopes_eq, scopes_ne, scopes_lt, scopes_le, scopes_gt, scopes_ge,
//     scopes_cmp, scopes_hash, scopes_hash_extended, builtin_permissions,
//     valid_permission_name
#include <string>

#include "../core/error.h"
#include "../core/permission_catalog.h"
#include "call_site.h"
#include "datum_io.h"
#include "guard.h"
#include "permission_cache.h"
#include "scopes_type.h"

extern "C" {
#include "access/parallel.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::current_catalog;
using hive_tokens::pg::scopes_arg;
using hive_tokens::pg::scopes_datum;

namespace {

// The permissions one text argument of ?, ?| or ?& denotes, cached per call site: the same
// query text is parsed once, not once per row (re-parsed when the catalog changes).
struct EntryCache {
    bool valid = false;
    unsigned long generation = 0;
    int len = 0;
    core::Scopes bits{};
    char text[256];  // operands up to 256 bytes are kept; longer ones are parsed every time
};

core::Scopes entry_bits(FunctionCallInfo fcinfo, text* t) {
    const char* s = VARDATA_ANY(t);
    int len = static_cast<int>(VARSIZE_ANY_EXHDR(t));
    EntryCache& cache = hive_tokens::pg::call_site_state<EntryCache>(fcinfo);
    unsigned long gen = hive_tokens::pg::catalog_generation();
    if (cache.valid && cache.generation == gen && cache.len == len && memcmp(cache.text, s, len) == 0) return cache.bits;
    core::Scopes bits = current_catalog().parse_entry(std::string_view(s, len));
    if (len <= static_cast<int>(sizeof cache.text)) {
        cache.valid = true;
        cache.generation = hive_tokens::pg::catalog_generation();
        cache.len = len;
        cache.bits = bits;
        memcpy(cache.text, s, len);
    }
    return bits;
}

}  // namespace

core::Scopes hive_tokens::pg::scopes_from_text_array(ArrayType* arr) {
    Datum* elems;
    bool* nulls;
    int n;
    deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    const core::PermissionCatalog& cat = current_catalog();
    core::Scopes s = core::Scopes::none();
    for (int i = 0; i < n; ++i) {
        core::check_interrupts();
        if (nulls[i])
            ereport(ERROR, (errextension(), errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("a permission array must not contain NULL")));
        text* t = DatumGetTextPP(elems[i]);
        s = s | cat.parse_entry(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
    }
    return s;
}

// ---- I/O --------------------------------------------------------------------------------

HT_FUNCTION(scopes_in) {
    const char* s = PG_GETARG_CSTRING(0);
    PG_RETURN_DATUM(scopes_datum(current_catalog().parse(s)));
}

HT_FUNCTION(scopes_out) { PG_RETURN_CSTRING(hive_tokens::pg::palloc_cstring(current_catalog().format(*scopes_arg(fcinfo, 0)))); }

// Binary form: core::PermissionCatalog::encode_binary / decode_binary (names, not bits).
HT_FUNCTION(scopes_send) {
    std::string bytes = current_catalog().encode_binary(*scopes_arg(fcinfo, 0));
    bytea* result = nullptr;
    hive_tokens::pg::pg_call([&]() noexcept {
        StringInfoData buf;
        pq_begintypsend(&buf);
        pq_sendbytes(&buf, bytes.data(), static_cast<int>(bytes.size()));
        result = pq_endtypsend(&buf);
    });
    PG_RETURN_BYTEA_P(result);
}

HT_FUNCTION(scopes_recv) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    std::string_view bytes(buf->data + buf->cursor, static_cast<std::size_t>(buf->len - buf->cursor));
    core::Scopes s = current_catalog().decode_binary(bytes);
    buf->cursor = buf->len;  // all of it was read
    PG_RETURN_DATUM(scopes_datum(s));
}

// ---- type stored_scopes: the same 32 bytes, stored as name@bit so restores need no catalog --

namespace {
// Reads the stored form. A bit the catalog does not define keeps its name's meaning for the
// permission a restore will bring: only a restoring role writes such a value (a superuser or a
// member of hive_tokens_admin: anyone else could squat bits, or make a registration hand out a bit
// a value of theirs holds), and the transaction then holds it against registrations until it
// ends (hold_undefined_bits()). A bit defined under another name is an error.
core::Scopes read_stored(std::string_view text) {
    bool kept = false;
    core::Scopes s = current_catalog().parse_stored(text, &kept);
    if (kept) {
        bool allowed = false;
        hive_tokens::pg::pg_call([&]() noexcept {
            Oid admin = get_role_oid("hive_tokens_admin", true);
            allowed = superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));
        });
        if (!allowed)
            throw core::Error(core::ErrorKind::InsufficientPrivilege,
                              "only a superuser or a member of hive_tokens_admin may store permissions this database "
                              "does not define",
                              "A stored permission set names a permission with a bit the catalog does not define "
                              "(a dump's grants restored before its catalog).",
                              "Restore hive_tokens.permissions first, or register the permission.");
        bool in_worker = false;
        hive_tokens::pg::pg_call([&]() noexcept { in_worker = IsParallelWorker(); });
        // a parallel worker's locks end with the worker: nothing would hold the bit afterwards
        if (in_worker)
            throw core::Error(core::ErrorKind::InvalidTransactionState,
                              "permissions this database does not define cannot be read in a parallel worker", "",
                              "SET max_parallel_workers_per_gather = 0 (and force_parallel_mode = off) for the restore.");
        s = hive_tokens::pg::hold_undefined_bits().parse_stored(text);
    }
    return s;
}
}  // namespace

HT_FUNCTION(stored_scopes_in) {
    const char* s = PG_GETARG_CSTRING(0);
    PG_RETURN_DATUM(scopes_datum(read_stored(s)));
}

HT_FUNCTION(stored_scopes_out) {
    PG_RETURN_CSTRING(hive_tokens::pg::palloc_cstring(current_catalog().format_stored(*scopes_arg(fcinfo, 0))));
}

// Binary form: the text form (names with their bits), read like the text form.
HT_FUNCTION(stored_scopes_recv) {
    std::string_view text = hive_tokens::pg::received_text(fcinfo, core::kMaxScopesText, "stored scopes");
    PG_RETURN_DATUM(scopes_datum(read_stored(text)));
}

HT_FUNCTION(stored_scopes_send) {
    std::string out = current_catalog().format_stored(*scopes_arg(fcinfo, 0));
    bytea* result = nullptr;
    hive_tokens::pg::pg_call([&]() noexcept {
        StringInfoData buf;
        pq_begintypsend(&buf);
        pq_sendtext(&buf, out.data(), static_cast<int>(out.size()));
        result = pq_endtypsend(&buf);
    });
    PG_RETURN_BYTEA_P(result);
}

// ---- operators ---------------------------------------------------------------------------

HT_FUNCTION(has_permission) {  // scopes ? text
    core::Scopes want = entry_bits(fcinfo, PG_GETARG_TEXT_PP(1));
    PG_RETURN_BOOL(core::contains(*scopes_arg(fcinfo, 0), want));
}

HT_FUNCTION(has_any_permission) {  // scopes ?| text[]
    core::Scopes want = hive_tokens::pg::scopes_from_text_array(PG_GETARG_ARRAYTYPE_P(1));
    PG_RETURN_BOOL(core::overlaps(*scopes_arg(fcinfo, 0), want));
}

HT_FUNCTION(has_all_permissions) {  // scopes ?& text[]
    core::Scopes want = hive_tokens::pg::scopes_from_text_array(PG_GETARG_ARRAYTYPE_P(1));
    PG_RETURN_BOOL(core::contains(*scopes_arg(fcinfo, 0), want));
}

HT_FUNCTION(scopes_contains) { PG_RETURN_BOOL(core::contains(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1))); }
HT_FUNCTION(scopes_contained) { PG_RETURN_BOOL(core::contains(*scopes_arg(fcinfo, 1), *scopes_arg(fcinfo, 0))); }
HT_FUNCTION(scopes_overlap) { PG_RETURN_BOOL(core::overlaps(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1))); }
HT_FUNCTION(scopes_union) { PG_RETURN_DATUM(scopes_datum(*scopes_arg(fcinfo, 0) | *scopes_arg(fcinfo, 1))); }
HT_FUNCTION(scopes_intersect) { PG_RETURN_DATUM(scopes_datum(*scopes_arg(fcinfo, 0) & *scopes_arg(fcinfo, 1))); }
HT_FUNCTION(scopes_minus) { PG_RETURN_DATUM(scopes_datum(*scopes_arg(fcinfo, 0) - *scopes_arg(fcinfo, 1))); }
HT_FUNCTION(scopes_eq) { PG_RETURN_BOOL(*scopes_arg(fcinfo, 0) == *scopes_arg(fcinfo, 1)); }
HT_FUNCTION(scopes_ne) { PG_RETURN_BOOL(*scopes_arg(fcinfo, 0) != *scopes_arg(fcinfo, 1)); }
HT_FUNCTION(scopes_lt) { PG_RETURN_BOOL(core::compare(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1)) < 0); }
HT_FUNCTION(scopes_le) { PG_RETURN_BOOL(core::compare(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1)) <= 0); }
HT_FUNCTION(scopes_gt) { PG_RETURN_BOOL(core::compare(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1)) > 0); }
HT_FUNCTION(scopes_ge) { PG_RETURN_BOOL(core::compare(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1)) >= 0); }
HT_FUNCTION(scopes_cmp) { PG_RETURN_INT32(core::compare(*scopes_arg(fcinfo, 0), *scopes_arg(fcinfo, 1))); }

HT_FUNCTION(scopes_hash) {
    return hash_any(reinterpret_cast<const unsigned char*>(scopes_arg(fcinfo, 0)), sizeof(core::Scopes));
}

HT_FUNCTION(scopes_hash_extended) {
    return hash_any_extended(reinterpret_cast<const unsigned char*>(scopes_arg(fcinfo, 0)), sizeof(core::Scopes),
                             PG_GETARG_INT64(1));
}

// ---- casts and functions -----------------------------------------------------------------

HT_FUNCTION(permission_names) {
    std::vector<std::string> names = current_catalog().names(*scopes_arg(fcinfo, 0));
    ArrayType* result = nullptr;
    hive_tokens::pg::pg_call([&]() noexcept {
        Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (names.empty() ? 1 : names.size())));
        for (std::size_t i = 0; i < names.size(); ++i) elems[i] = PointerGetDatum(cstring_to_text(names[i].c_str()));
        result = construct_array(elems, static_cast<int>(names.size()), TEXTOID, -1, false, TYPALIGN_INT);
    });
    PG_RETURN_ARRAYTYPE_P(result);
}

HT_FUNCTION(scopes) {
    PG_RETURN_DATUM(scopes_datum(hive_tokens::pg::scopes_from_text_array(PG_GETARG_ARRAYTYPE_P(0))));
}

HT_FUNCTION(permission_count) { PG_RETURN_INT32(scopes_arg(fcinfo, 0)->count()); }

HT_FUNCTION(scopes_of_level) {
    text* t = PG_GETARG_TEXT_PP(0);
    core::Level level;
    if (!core::level_from_name(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)), &level))
        throw core::Error(core::ErrorKind::InvalidParameterValue, "unknown resource level", "",
                          "The levels are organization, project, target, service and appDeployment.");
    PG_RETURN_DATUM(scopes_datum(current_catalog().of_level(level)));
}

HT_FUNCTION(depends_closure) { PG_RETURN_DATUM(scopes_datum(current_catalog().closure(*scopes_arg(fcinfo, 0)))); }

HT_FUNCTION(missing_dependencies) {
    PG_RETURN_DATUM(scopes_datum(current_catalog().missing_dependencies(*scopes_arg(fcinfo, 0))));
}

HT_FUNCTION(assignable_scopes) { PG_RETURN_DATUM(scopes_datum(current_catalog().assignable())); }
HT_FUNCTION(retired_scopes) { PG_RETURN_DATUM(scopes_datum(current_catalog().retired())); }

// labels(scopes) -> setof (permission, level, group, label), catalog order.
HT_FUNCTION(labels) {
    const core::PermissionCatalog& cat = current_catalog();
    const core::Scopes s = *scopes_arg(fcinfo, 0);
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (int b = s.next(0); b >= 0; b = s.next(b + 1)) {
        const core::Permission* p = cat.at(b);
        if (p == nullptr) continue;
        Datum values[4] = {PointerGetDatum(cstring_to_text(p->name.c_str())),
                           PointerGetDatum(cstring_to_text(core::level_name(p->level))),
                           PointerGetDatum(cstring_to_text(p->group.c_str())),
                           PointerGetDatum(cstring_to_text(p->label.c_str()))};
        bool nulls[4] = {false, false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}

// _builtin_permissions() -> setof (bit, name, level, group, label, assignable, retired, depends_on):
// the seed of hive_tokens.permissions, from the core's built-in list (one source of truth).
HT_FUNCTION(builtin_permissions) {
    const auto& specs = core::builtin_permissions();
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const core::PermissionSpec& p = specs[i];
        std::vector<std::string> deps = core::depends_on_names(p);
        hive_tokens::pg::pg_call([&]() noexcept {
            Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (deps.empty() ? 1 : deps.size())));
            for (std::size_t k = 0; k < deps.size(); ++k) elems[k] = PointerGetDatum(cstring_to_text(deps[k].c_str()));
            Datum values[8] = {Int16GetDatum(static_cast<int16>(i)),
                               PointerGetDatum(cstring_to_text(p.name)),
                               PointerGetDatum(cstring_to_text(core::level_name(p.level))),
                               PointerGetDatum(cstring_to_text(p.group)),
                               PointerGetDatum(cstring_to_text(p.label)),
                               BoolGetDatum(p.assignable),
                               BoolGetDatum(p.retired),
                               PointerGetDatum(construct_array(elems, static_cast<int>(deps.size()), TEXTOID, -1, false,
                                                               TYPALIGN_INT))};
            bool nulls[8] = {false, false, false, false, false, false, false, false};
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        });
    }
    return static_cast<Datum>(0);
}

// _valid_permission_name(text) -> boolean, for register_permission().
HT_FUNCTION(valid_permission_name) {
    text* t = PG_GETARG_TEXT_PP(0);
    PG_RETURN_BOOL(core::PermissionCatalog::valid_name(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))));
}
