// Who called a management function. The public management functions (issue, revoke, rotate,
// set_expiry_policy, set_member_function, list_tokens, audit_events) run as their caller
// (SECURITY INVOKER, pinned search_path) and pass a ticket from caller_ticket() to a SECURITY
// DEFINER body, which redeems it. The ticket records the role that was current where the
// public function was called: a role's own SECURITY DEFINER function, or an index expression
// run by ANALYZE as the table's owner, is that role, never the session's (superuser) role. The
// session's role would be: a SECURITY DEFINER function cannot see who called it.
//
// A ticket is 128 random bits, valid once, only until the next ticket is made, in the transaction
// and under the SET ROLE that made it; the body also checks that the caller may EXECUTE the public
// function (so calling the body directly, which PUBLIC may, gains nothing). Tickets are never made inside a security-restricted operation (ANALYZE,
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

// The one ticket in flight: a public function makes it and its body redeems it at once (nothing
// runs between the two), so only the latest is ever valid; making another, or redeeming, ends it.
struct Ticket {
    uint8 bytes[16];
    Oid caller;
    Oid outer;  // the session's role as SET ROLE left it: a ticket does not survive SET ROLE
    LocalTransactionId lxid;
    bool valid;
};
Ticket g_ticket;

}  // namespace

// caller_ticket() -> uuid (hive_tokens_internal, PUBLIC): a ticket naming the current role.
HT_FUNCTION(caller_ticket) {
    if (InSecurityRestrictedOperation())
        throw core::Error(core::ErrorKind::InsufficientPrivilege,
                          "tokens cannot be managed inside a security-restricted operation", "",
                          "ANALYZE, VACUUM, REFRESH MATERIALIZED VIEW and index builds run code as a table's owner.");
    Ticket& t = g_ticket;
    randombytes_buf(t.bytes, sizeof t.bytes);
    t.caller = GetUserId();
    t.outer = GetOuterUserId();
    t.lxid = MyProc->lxid;
    t.valid = true;
    core::Uuid u;
    memcpy(u.b, t.bytes, 16);
    PG_RETURN_DATUM(hive_tokens::pg::uuid_to_datum(u));
}

// redeem(ticket uuid, entry regprocedure) -> oid (hive_tokens_internal, owner-only): the role
// the latest ticket names, once; 42501 for any other ticket, one of another transaction or SET
// ROLE, inside a security-restricted operation, or whose role may not EXECUTE entry.
HT_FUNCTION(redeem) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw core::Error(core::ErrorKind::InsufficientPrivilege, "call the public hive_tokens function instead");
    core::Uuid u = hive_tokens::pg::uuid_from_datum(PG_GETARG_DATUM(0));
    Oid entry = PG_GETARG_OID(1);
    Ticket& t = g_ticket;
    const bool match = t.valid && t.lxid == MyProc->lxid && t.outer == GetOuterUserId() &&
                       !InSecurityRestrictedOperation() && sodium_memcmp(t.bytes, u.b, 16) == 0;
    t.valid = false;  // redeemed or not, it is spent
    if (match) {
        Oid caller = t.caller;
        if (pg_proc_aclcheck(entry, caller, ACL_EXECUTE) != ACLCHECK_OK) {
            char* fn = format_procedure(entry);
            ereport(ERROR, (errextension(), errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied for function %s", fn)));
        }
        PG_RETURN_OID(caller);
    }
    throw core::Error(core::ErrorKind::InsufficientPrivilege, "call the public hive_tokens function instead",
                      "This function serves a public one and needs the ticket it passes.");
}
