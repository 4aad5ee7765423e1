// libFuzzer target: the ticket a Citus coordinator hands its workers (src/core/ticket.h).
// Invariants: opening arbitrary bytes never crashes and never succeeds (no MAC under the key can
// be guessed); any ticket sealed from arbitrary field values opens to exactly those values, and
// the same ticket with one byte changed or cut short never opens.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "keyring.h"
#include "ticket.h"

using namespace hive_tokens::core;

namespace {
const Keyring& ring() {
    static Keyring r = [] {
        Keyring k;
        const std::string text = "11 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n";
        parse_keyring(text.data(), text.size(), "fuzz.key", &k);
        return k;
    }();
    return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    constexpr std::int64_t now = 1'700'000'000'000'000;
    Ticket t;
    if (open_ticket(in, ring(), now, "db", "role", "", &t) == TicketCheck::Ok) std::abort();
    // the input as field values: database, role, scopes, resources split at the first three NULs
    Ticket f;
    std::size_t a = in.find('\0'), b = a == std::string::npos ? a : in.find('\0', a + 1),
                c = b == std::string::npos ? b : in.find('\0', b + 1);
    f.database = in.substr(0, a);
    f.role = a == std::string::npos ? "" : in.substr(a + 1, b - a - 1);
    f.scopes = b == std::string::npos ? "" : in.substr(b + 1, c - b - 1);
    f.resources = c == std::string::npos ? "" : in.substr(c + 1);
    f.transaction = std::to_string(size);
    f.issued_at = now;
    f.expires_at = now + 1 + static_cast<std::int64_t>(size);
    f.is_token = size % 2 == 0;
    if (size >= 16) std::memcpy(f.organization.b, data, 16);
    const std::string sealed = seal_ticket(ring().issuing(), f);
    Ticket out;
    if (open_ticket(sealed, ring(), now, f.database, f.role, f.transaction, &out) != TicketCheck::Ok) std::abort();
    if (out.database != f.database || out.role != f.role || out.scopes != f.scopes || out.resources != f.resources ||
        out.organization != f.organization || out.is_token != f.is_token || out.expires_at != f.expires_at || out.transaction != f.transaction)
        std::abort();
    std::string bad = sealed;
    bad[size % bad.size()] ^= 1;
    if (open_ticket(bad, ring(), now, f.database, f.role, f.transaction, &out) == TicketCheck::Ok) std::abort();
    if (open_ticket(sealed.substr(0, sealed.size() - 1 - size % 8), ring(), now, f.database, f.role, f.transaction, &out) == TicketCheck::Ok)
        std::abort();
    return 0;
}
