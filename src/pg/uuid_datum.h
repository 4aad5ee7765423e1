// uuid Datums <-> core::Uuid.
#pragma once
#include "../core/hrn.h"
#include "pg_includes.h"

extern "C" {
#include "utils/uuid.h"
}

namespace hive_tokens::pg {

inline core::Uuid uuid_from_datum(Datum d) {
    core::Uuid u;
    memcpy(u.b, DatumGetUUIDP(d)->data, 16);
    return u;
}

// palloc's the result in the current memory context.
inline Datum uuid_to_datum(const core::Uuid& u) {
    pg_uuid_t* out = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
    memcpy(out->data, u.b, 16);
    return UUIDPGetDatum(out);
}

}  // namespace hive_tokens::pg
