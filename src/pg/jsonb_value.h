// jsonb arguments as the core's JSON values, and back.
//
// jsonb arguments as the core's JSON values (core::json::Value), read straight from the jsonb
// binary form: no text round trip and no second JSON parser. A value larger than the core
// accepts (core::json::kMaxBytes) is refused before anything is read, one nested deeper than
// core::json::kMaxDepth while it is read.
#pragma once
#include "../core/json.h"
#include "pg_includes.h"

extern "C" {
#include "utils/jsonb.h"
}

namespace hive_tokens::pg {

// Throws core::Error(LimitExceeded) for a value over the size limit, core::Error
// (InvalidParameterValue) for one nested too deeply.
core::json::Value jsonb_value(Jsonb* jb);

// A core value as a jsonb datum (through PostgreSQL's own jsonb input).
Datum jsonb_datum(const core::json::Value& v);

}  // namespace hive_tokens::pg
