// GIN operator class for hive_tokens.scopes: the index keys of a value are its bit numbers
// (int4), so "scopes ? 'usage:report'", "@>", "&&", "?|", "?&" and "<@" can use an index.
//
// Entry points (hive_tokens_internal): scopes_gin_extract_value, scopes_gin_extract_query,
// scopes_gin_consistent.
#include "../core/permission_catalog.h"
#include "guard.h"
#include "permission_cache.h"
#include "scopes_type.h"

extern "C" {
#include "access/gin.h"
#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;

namespace {

// Strategy numbers, as in the operator class (hive_tokens--0.1.sql).
constexpr StrategyNumber kContains = 1;     // scopes @> scopes
constexpr StrategyNumber kContainedBy = 2;  // scopes <@ scopes
constexpr StrategyNumber kOverlaps = 3;     // scopes && scopes
constexpr StrategyNumber kHas = 4;          // scopes ? text
constexpr StrategyNumber kHasAny = 5;       // scopes ?| text[]
constexpr StrategyNumber kHasAll = 6;       // scopes ?& text[]

Datum* keys_of(const core::Scopes& s, int32* nkeys) {
    int n = s.count();
    Datum* keys = static_cast<Datum*>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    int i = 0;
    for (int b = s.next(0); b >= 0; b = s.next(b + 1)) keys[i++] = Int32GetDatum(b);
    *nkeys = n;
    return keys;
}

core::Scopes query_scopes(Datum query, StrategyNumber strategy) {
    switch (strategy) {
        case kContains:
        case kContainedBy:
        case kOverlaps:
            return *reinterpret_cast<const core::Scopes*>(DatumGetPointer(query));
        case kHas: {
            text* t = DatumGetTextPP(query);
            return hive_tokens::pg::current_catalog().parse_entry(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
        }
        case kHasAny:
        case kHasAll:
            return hive_tokens::pg::scopes_from_text_array(DatumGetArrayTypeP(query));
    }
    elog(ERROR, "hive_tokens: unknown GIN strategy %d", strategy);
    return core::Scopes::none();
}

}  // namespace

// extractValue(scopes, internal nkeys, internal nullFlags)
HT_FUNCTION(scopes_gin_extract_value) {
    int32* nkeys = reinterpret_cast<int32*>(PG_GETARG_POINTER(1));
    PG_RETURN_POINTER(keys_of(*hive_tokens::pg::scopes_arg(fcinfo, 0), nkeys));
}

// extractQuery(query, internal nkeys, int2 strategy, internal pmatch, internal extra,
//              internal nullFlags, internal searchMode)
HT_FUNCTION(scopes_gin_extract_query) {
    int32* nkeys = reinterpret_cast<int32*>(PG_GETARG_POINTER(1));
    StrategyNumber strategy = PG_GETARG_UINT16(2);
    int32* search_mode = reinterpret_cast<int32*>(PG_GETARG_POINTER(6));
    core::Scopes q = query_scopes(PG_GETARG_DATUM(0), strategy);
    Datum* keys = keys_of(q, nkeys);
    switch (strategy) {
        case kContains:
        case kHas:
        case kHasAll:
            // every query bit must be present; an empty query matches every row
            if (*nkeys == 0) *search_mode = GIN_SEARCH_MODE_ALL;
            break;
        case kOverlaps:
        case kHasAny:
            // at least one query bit; an empty query matches nothing (nkeys 0, default mode)
            break;
        case kContainedBy:
            // rows whose bits all lie in the query, empty rows included: checked on the heap
            *search_mode = GIN_SEARCH_MODE_INCLUDE_EMPTY;
            break;
    }
    PG_RETURN_POINTER(keys);
}

// consistent(internal check, int2 strategy, query, int4 nkeys, internal extra, internal recheck,
//            internal queryKeys, internal nullFlags)
HT_FUNCTION(scopes_gin_consistent) {
    bool* check = reinterpret_cast<bool*>(PG_GETARG_POINTER(0));
    StrategyNumber strategy = PG_GETARG_UINT16(1);
    int32 nkeys = PG_GETARG_INT32(3);
    bool* recheck = reinterpret_cast<bool*>(PG_GETARG_POINTER(5));
    *recheck = false;  // keys are exact bits
    switch (strategy) {
        case kContains:
        case kHas:
        case kHasAll:
            for (int32 i = 0; i < nkeys; ++i)
                if (!check[i]) PG_RETURN_BOOL(false);
            PG_RETURN_BOOL(true);
        case kOverlaps:
        case kHasAny:
            for (int32 i = 0; i < nkeys; ++i)
                if (check[i]) PG_RETURN_BOOL(true);
            PG_RETURN_BOOL(false);
        case kContainedBy:
            // the index cannot see bits outside the query: the heap tuple decides
            *recheck = true;
            PG_RETURN_BOOL(true);
    }
    elog(ERROR, "hive_tokens: unknown GIN strategy %d", strategy);
    PG_RETURN_BOOL(false);
}
