// One read-only catalog query through SPI, answered as text.
#pragma once
#include <string>

namespace hive_tokens::pg {

// Runs query (read-only, through SPI, as the current user) and returns the first column of its
// first row as text: "" when there is no row or the value is NULL. A failure is a PostgreSQL
// error naming what (caught by pg_call and rethrown as a C++ exception).
std::string spi_first_text(const char* query, const char* what);

}  // namespace hive_tokens::pg
