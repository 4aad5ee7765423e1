// hive_tokens._guard_selftest(what text) -> bigint: proves the C++/PostgreSQL boundary.
// Used by the regression suite (sql/guard.sql); EXECUTE is revoked from PUBLIC.
//   core/std/bad_alloc names: a C++ exception thrown in src/core while a C++ object with a
//     destructor is alive must become a clean SQL error with the mapped SQLSTATE;
//   'pg_error': a PostgreSQL ERROR raised through pg_call() while a C++ object is alive must
//     unwind that object and reach the client with its original SQLSTATE (22012);
//   'destructors': how many of those objects were destroyed in this backend so far.
#include <string>

#include "../core/error.h"
#include "guard.h"

extern "C" {
#include "utils/builtins.h"
}

namespace {
long g_destroyed = 0;

struct Witness {
    std::string payload = std::string(64, 'x');  // a heap allocation that would leak without unwinding
    ~Witness() { ++g_destroyed; }
};
}  // namespace

HT_FUNCTION(hive_tokens_guard_selftest) {
    std::string what = text_to_cstring(PG_GETARG_TEXT_PP(0));
    if (what == "destructors") PG_RETURN_INT64(g_destroyed);
    Witness w;
    if (what == "pg_error") {
        hive_tokens::pg::pg_call([]() noexcept { (void)DirectFunctionCall2(int4div, Int32GetDatum(1), Int32GetDatum(0)); });
    }
    hive_tokens::core::raise_for_selftest(what);
    PG_RETURN_INT64(-1);
}
