// Datum access for hive_tokens.scopes: a fixed-length 32-byte, 8-byte-aligned value.
#pragma once
#include "../core/scopes.h"
#include "pg_includes.h"

extern "C" {
#include "utils/array.h"
}

namespace hive_tokens::pg {

inline const core::Scopes* scopes_arg(FunctionCallInfo fcinfo, int n) {
    return reinterpret_cast<const core::Scopes*>(DatumGetPointer(PG_GETARG_DATUM(n)));
}

inline Datum scopes_datum(const core::Scopes& s) {
    core::Scopes* out = static_cast<core::Scopes*>(palloc(sizeof(core::Scopes)));
    *out = s;
    return PointerGetDatum(out);
}

// The union of the permission entries in a text[] (names or wildcards, as for ?| and ?&).
// NULL elements are an error (22004), unknown names too (22P02).
core::Scopes scopes_from_text_array(ArrayType* arr);

}  // namespace hive_tokens::pg
