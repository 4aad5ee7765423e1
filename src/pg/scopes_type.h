// Datum access for hive_tokens.scopes: a fixed-length 32-byte, 8-byte-aligned value.
#pragma once
#include "../core/scopes.h"
#include "pg_includes.h"

namespace hive_tokens::pg {

inline const core::Scopes* scopes_arg(FunctionCallInfo fcinfo, int n) {
    return reinterpret_cast<const core::Scopes*>(DatumGetPointer(PG_GETARG_DATUM(n)));
}

inline Datum scopes_datum(const core::Scopes& s) {
    core::Scopes* out = static_cast<core::Scopes*>(palloc(sizeof(core::Scopes)));
    *out = s;
    return PointerGetDatum(out);
}

}  // namespace hive_tokens::pg
