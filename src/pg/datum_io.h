// Small pieces the types' I/O functions share.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "pg_includes.h"

namespace hive_tokens::pg {

// The rest of a binary input message as text in the database encoding, refused (22P03, "invalid
// <what>: longer than <max> bytes") before anything is converted when it is longer. Raises a
// PostgreSQL error directly: call it before any C++ object of the caller exists.
std::string_view received_text(FunctionCallInfo fcinfo, std::size_t max, const char* what);

// s as a C string in the current memory context (what an output function returns).
char* palloc_cstring(const std::string& s);

}  // namespace hive_tokens::pg
