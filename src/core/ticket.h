// Tickets: the principal of a transaction, carried from a Citus coordinator to its workers.
//
// A row-level-security policy on a distributed table runs in a worker's backend, which has no
// principal of its own. authenticate() and act_as_member() on the coordinator seal what the
// principal may do into a ticket (a MAC under the server key every node shares) and set it with
// SET LOCAL, which Citus sends to each worker transaction. A worker's policy helpers open the
// ticket, check it and rebuild the principal for that transaction only (docs/scale-out.md).
//
// Text form: "htk1." base64url(body) "." base64url(mac), no padding. The body is a sequence of
// fields, each a 4-byte big-endian length and its bytes, in this order: key id, database, role,
// issued at, expires at (microseconds, decimal), kind ("token" or "member"), token id, user id
// (16 bytes or empty), organization (16 bytes), scopes (permission names joined by ','),
// resources (the assignment as JSON text), transaction (what it is bound to: under Citus the
// sealing backend's global pid and its distributed transaction, without Citus the sealing
// transaction itself; compared exactly). The MAC is BLAKE2b-256 keyed with the server key
// named by the key id, over "hive_tokens ticket v1" NUL and the body: a token's keyed hash is
// computed over the token's text, which never starts that way.
//
// A ticket holds no secret. It is bound to its database, its role, the backend and transaction
// that sealed it, and it is short-lived: anywhere else, or after it expires, it is refused.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keyring.h"
#include "uuid.h"

namespace hive_tokens::core {

constexpr std::size_t kMaxTicketBytes = 256 * 1024;
constexpr std::int64_t kMaxTicketLifetimeUs = 3600LL * 1000000;  // expires_at - issued_at, at most
constexpr std::int64_t kTicketClockSkewUs = 5LL * 1000000;      // issued_at may be this far ahead

struct Ticket {
    int key_id = 0;
    std::string database;
    std::string role;
    std::int64_t issued_at = 0;   // microseconds, on the issuing node's clock
    std::int64_t expires_at = 0;  // microseconds, same clock
    bool is_token = false;
    Uuid token_id{};
    bool has_user = false;
    Uuid user_id{};
    Uuid organization{};
    std::string scopes;     // permission names, ',' between them
    std::string resources;  // the resource assignment, JSON text
    std::string transaction;  // the distributed transaction it belongs to ("" without Citus)
};

enum class TicketCheck {
    Ok,
    Malformed,    // not a ticket: bad prefix, encoding or fields, or too long
    UnknownKey,   // sealed with a key this server does not have
    BadMac,       // forged or altered
    Expired,      // now >= expires_at
    NotYetValid,  // issued_at more than kTicketClockSkewUs ahead of now
    WrongDatabase,
    WrongRole,
    WrongTransaction,  // sealed for another distributed transaction (replayed), or with/without one
};
const char* ticket_check_name(TicketCheck c) noexcept;

// The ticket's text, sealed with `key` (its id is written into the ticket). Throws
// Error(LimitExceeded) when it would exceed kMaxTicketBytes, Error(InvalidParameterValue) for a
// lifetime outside 1 µs..kMaxTicketLifetimeUs.
std::string seal_ticket(const ServerKey& key, const Ticket& t);

// Opens a ticket: checks its form, its MAC under `ring`, its times against `now` and that it was
// sealed for `database`, `role` and `transaction` (all compared exactly). Fills *out only on Ok.
// Never throws; never reads past `text`.
TicketCheck open_ticket(std::string_view text, const Keyring& ring, std::int64_t now, std::string_view database,
                        std::string_view role, std::string_view transaction, Ticket* out) noexcept;

}  // namespace hive_tokens::core
