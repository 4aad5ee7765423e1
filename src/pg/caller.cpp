// Who called a management function. The public management functions (issue, revoke, rotate,
// set_expiry_policy, set_member_function, list_tokens, audit_events) run as their caller
// (SECURITY INVOKER, pinned search_path) and pass a ticket from caller_ticket() to a SECURITY
// DEFINER body, which redeems it. The ticket records the role that was current where the
// public function was called: a role's own SECURITY DEFINER function, or an index expression
// run by ANALYZE as the table's owner, is that role, never the session's (superuser) role. The
// session's role would be: a SECURITY DEFINER function cannot see who called it.
//
// A ticket is 128 random bits, valid once, in the transaction that made it; the body also checks
// that the caller may EXECUTE the public function (so calling the body directly, which PUBLIC
// may, gains nothing). Tickets are never made inside a security-restricted operation (ANALYZE,
// VACUUM, REFRESH, index builds): token management has no business there.
#include <sodium.h>

#include <cstring>

#include "../core/error.h"
#include "../core/uuid.h"
#include "caller.h"
#include "guard.h"
#include "uuid_datum.h"

extern "C" {
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
}

namespace core = hive_tokens::core;

Oid hive_tokens::pg::g_management_caller = InvalidOid;

namespace {

struct Ticket {
    uint8 bytes[16];
    Oid caller;
    LocalTransactionId lxid;
    bool used;
};
constexpr int kTickets = 64;  // a ring: nesting deeper than this loses the oldest
Ticket g_tickets[kTickets];
int g_next = 0;

}  // namespace

// caller_ticket() -> uuid (hive_tokens_internal, PUBLIC): a ticket naming the current role.
HT_FUNCTION(caller_ticket) {
    if (InSecurityRestrictedOperation())
        throw core::Error(core::ErrorKind::InsufficientPrivilege,
                          "tokens cannot be managed inside a security-restricted operation", "",
                          "ANALYZE, VACUUM, REFRESH MATERIALIZED VIEW and index builds run code as a table's owner.");
    Ticket& t = g_tickets[g_next];
    g_next = (g_next + 1) % kTickets;
    randombytes_buf(t.bytes, sizeof t.bytes);
    t.caller = GetUserId();
    t.lxid = MyProc->lxid;
    t.used = false;
    core::Uuid u;
    memcpy(u.b, t.bytes, 16);
    PG_RETURN_DATUM(hive_tokens::pg::uuid_to_datum(u));
}

// redeem(ticket uuid, entry regprocedure) -> oid (hive_tokens_internal, owner-only): the role
// the ticket names, once; 42501 for a ticket that is unknown, used, of another transaction, or
// whose role may not EXECUTE the public function entry.
HT_FUNCTION(redeem) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw core::Error(core::ErrorKind::InsufficientPrivilege, "call the public hive_tokens function instead");
    core::Uuid u = hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(0));
    Oid entry = PG_GETARG_OID(1);
    for (Ticket& t : g_tickets) {
        if (t.used || t.lxid != MyProc->lxid || sodium_memcmp(t.bytes, u.b, 16) != 0) continue;
        t.used = true;
        Oid caller = t.caller;
        if (pg_proc_aclcheck(entry, caller, ACL_EXECUTE) != ACLCHECK_OK) {
            char* fn = format_procedure(entry);
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for function %s", fn)));
        }
        PG_RETURN_OID(caller);
    }
    throw core::Error(core::ErrorKind::InsufficientPrivilege, "call the public hive_tokens function instead",
                      "This function serves a public one and needs the ticket it passes.");
}
