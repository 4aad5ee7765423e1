// Finding a column of the extension's own tables by name (they may have been altered since the
// install script ran: dropped columns, added ones).
#pragma once
#include "pg_includes.h"

extern "C" {
#include "access/tupdesc.h"
}

namespace hive_tokens::pg {

// The 0-based index of column `name` of `table` in a tuple descriptor, as heap_deform_tuple's
// arrays use it; an error if the column is missing or dropped.
int column_index(TupleDesc desc, const char* table, const char* name);

}  // namespace hive_tokens::pg
