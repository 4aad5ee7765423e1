// The test-only module hive_tokens_selftest (never installed by make install).
// guard_selftest(what text) -> bigint: proves the
// C++/PostgreSQL boundary (src/pg/guard.h). sql/guard.sql creates the SQL function and runs it.
//   core/std/bad_alloc names: a C++ exception thrown in src/core while a C++ object with a
//     destructor is alive must become a clean SQL error with the mapped SQLSTATE;
//   'pg_error': a PostgreSQL ERROR raised through pg_call() while a C++ object is alive must
//     unwind that object and reach the client with its original SQLSTATE (22012);
//   'destructors': how many of those objects were destroyed in this backend so far.
#include <fstream>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>

#include "../../src/core/error.h"
#include "../../src/core/keyring.h"
#include "../../src/core/ticket.h"
#include "../../src/pg/guard.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/timestamp.h"

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

// selftest_rebind_ticket(ticket text, key_file text, database text, role text, sealed_in text,
// rebind_to text, opened_at timestamptz) -> text: the same ticket, opened with the server key as
// of opened_at (every check of a worker: MAC, expiry, database, role, and the transaction it was
// sealed in) and sealed again, unchanged otherwise (its expiry included), for the
// transaction rebind_to. On a Citus cluster, the coordinator's transaction and the workers' share
// one distributed transaction id; on one server no other transaction shares the one that sealed a
// ticket, so sql/ticket.sql uses this to hand a ticket sealed by authenticate() in one transaction
// to another, as Citus hands it to a worker. NULL if the ticket does not open.
HT_FUNCTION(selftest_rebind_ticket) {
    char* raw[6];  // every argument read before any C++ object exists (guard.h)
    for (int i = 0; i < 6; ++i) raw[i] = text_to_cstring(PG_GETARG_TEXT_PP(i));
    const TimestampTz opened_at = PG_GETARG_TIMESTAMPTZ(6);
    std::string args[6];
    for (int i = 0; i < 6; ++i) args[i] = raw[i];
    std::ifstream in(args[1], std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hive_tokens::core::Keyring ring;
    hive_tokens::core::parse_keyring(content.data(), content.size(), args[1], &ring);
    hive_tokens::core::Ticket t;
    if (hive_tokens::core::open_ticket(args[0], ring, opened_at, args[2], args[3], args[4], &t) !=
        hive_tokens::core::TicketCheck::Ok)
        PG_RETURN_NULL();
    t.transaction = args[5];
    const std::string sealed = hive_tokens::core::seal_ticket(*ring.find(t.key_id), t);
    ring.wipe();
    PG_RETURN_TEXT_P(cstring_to_text_with_len(sealed.data(), static_cast<int>(sealed.size())));
}
