// jsonb arguments as JSON text for the core's reader, refused before any conversion when larger
// than the core accepts (core::json::kMaxBytes): a hostile value costs one size check, not a copy.
#pragma once
#include <string>

#include "../core/json.h"
#include "pg_includes.h"

extern "C" {
#include "utils/jsonb.h"
}

namespace hive_tokens::pg {

// Throws core::Error(LimitExceeded) for a value over the limit.
std::string jsonb_text(Jsonb* jb);

}  // namespace hive_tokens::pg
