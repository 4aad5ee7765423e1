// guard_selftest(what text) -> bigint, in the test-only module hive_tokens_selftest: proves the
// C++/PostgreSQL boundary (src/pg/guard.h). sql/guard.sql creates the SQL function and runs it.
//   core/std/bad_alloc names: a C++ exception thrown in src/core while a C++ object with a
//     destructor is alive must become a clean SQL error with the mapped SQLSTATE;
//   'pg_error': a PostgreSQL ERROR raised through pg_call() while a C++ object is alive must
//     unwind that object and reach the client with its original SQLSTATE (22012);
//   'destructors': how many of those objects were destroyed in this backend so far.
#include <new>
#include <stdexcept>
#include <string>

#include "../../src/core/error.h"
#include "../../src/pg/guard.h"

extern "C" {
#include "utils/builtins.h"

PG_MODULE_MAGIC;
}

namespace {
long g_destroyed = 0;

// Throws what `which` names, as the core would.
void raise(const std::string& which) {
    using hive_tokens::core::Error;
    using hive_tokens::core::ErrorKind;
    if (which == "invalid_text") throw Error(ErrorKind::InvalidTextRepresentation, "self-test: invalid text", "detail", "hint");
    if (which == "invalid_parameter") throw Error(ErrorKind::InvalidParameterValue, "self-test: invalid parameter");
    if (which == "config_file") throw Error(ErrorKind::ConfigFile, "self-test: config file");
    if (which == "bad_alloc") throw std::bad_alloc();
    if (which == "std_exception") throw std::runtime_error("self-test: std::runtime_error");
    if (which == "non_std") throw 42;
}

struct Witness {
    std::string payload = std::string(64, 'x');  // a heap allocation that would leak without unwinding
    ~Witness() { ++g_destroyed; }
};
}  // namespace

HT_FUNCTION(guard_selftest) {
    std::string what = text_to_cstring(PG_GETARG_TEXT_PP(0));
    if (what == "destructors") PG_RETURN_INT64(g_destroyed);
    Witness w;
    if (what == "pg_error") {
        hive_tokens::pg::pg_call([]() noexcept { (void)DirectFunctionCall2(int4div, Int32GetDatum(1), Int32GetDatum(0)); });
    }
    raise(what);
    PG_RETURN_INT64(-1);
}
