// One read-only catalog query through SPI, answered as text.
#pragma once
#include <string>

namespace hive_tokens::pg {

// Runs query (a SELECT, through SPI, as the current user) and returns the first column of its
// first row as text: "" when there is no row or the value is NULL. A failure is a PostgreSQL
// error naming what (caught by pg_call and rethrown as a C++ exception). read_only = false makes
// SPI take a new snapshot (after a command counter increment), so the query also sees what the
// calling statement itself has done.
std::string spi_first_text(const char* query, const char* what, bool read_only = true);

}  // namespace hive_tokens::pg
