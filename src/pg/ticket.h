// Tickets between a Citus coordinator and its workers (src/core/ticket.h, docs/scale-out.md).
//
// hive_tokens.issue_tickets (coordinator): authenticate() and act_as_member() also seal the
// principal into a ticket and SET LOCAL hive_tokens.ticket to it, through SPI, so that Citus
// (citus.propagate_set_commands = 'local') sends it to every worker transaction.
// hive_tokens.accept_tickets (workers): a transaction without a principal of its own takes the
// one a valid ticket in hive_tokens.ticket carries, the first time a helper asks for it.
#pragma once
#include "../core/assignment.h"
#include "../core/principal.h"
#include "../core/scopes.h"
#include "../core/uuid.h"
#include "pg_includes.h"

extern "C" {
#include "utils/guc.h"
}

namespace hive_tokens::pg {

extern bool issue_tickets;
extern bool accept_tickets;
extern int ticket_lifetime;  // seconds
extern char* ticket_setting;  // hive_tokens.ticket

bool ticket_check(char** newval, void** extra, GucSource source);
void ticket_assign(const char* newval, void* extra);
// Changes whenever hive_tokens.ticket is assigned: SET, RESET, and the value restored when the
// (sub)transaction that set it rolls back.
unsigned long ticket_version() noexcept;

// Installs application_name's check hook, which refuses Citus's backend names (those that carry a
// global pid) from everyone but superusers, except in the server's configuration and a
// connection's startup packet. preloading: called from shared_preload_libraries, so the hook has
// been in place since the backend started (tickets under Citus require it).
void guard_application_name(bool preloading);

// Seals the principal into a ticket and sets it for this transaction (SET LOCAL through SPI).
// Throws core::Error (no key, too large, Citus not propagating SET LOCAL).
void set_ticket(bool is_token, const core::Uuid& token_id, bool has_user, const core::Uuid& user_id,
                const core::PrincipalPolicy& policy);

// What a valid ticket carries.
struct TicketPrincipal {
    bool is_token;
    core::Uuid token_id;
    bool has_user;
    core::Uuid user_id;
    core::Uuid organization;
    core::Scopes scopes;
    core::Assignment assignment;
};

// Opens hive_tokens.ticket: true and *out filled for a ticket sealed with a key of this server,
// for this database and the current role, not expired, whose token (for a token's ticket) is
// still live here. Anything else: false, and one line in the server log saying why (never the
// ticket).
bool open_current_ticket(TicketPrincipal* out);

}  // namespace hive_tokens::pg
