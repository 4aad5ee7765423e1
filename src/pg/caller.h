// Who called a management function (docs/managing.md, "Who the caller is").
#pragma once
#include "pg_includes.h"

namespace hive_tokens::pg {

// The caller a management body redeemed its ticket for, while authorize_*() runs (the refusal
// recorder names it); InvalidOid otherwise.
extern Oid g_management_caller;

}  // namespace hive_tokens::pg
