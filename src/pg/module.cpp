// Module entry: PG_MODULE_MAGIC, libsodium initialisation and the extension's settings.
#include <sodium.h>

#include "../core/error.h"
#include "guard.h"
#include "keyring_loader.h"
#include "log_guard.h"
#include "principal.h"
#include "session_state.h"
#include "ticket.h"
#include "token_store.h"
#include "usage.h"
#include "pg_includes.h"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

namespace {
void key_file_assign(const char*, void*) { hive_tokens::pg::invalidate_keyring(); }
}  // namespace

void _PG_init(void) {
    if (sodium_init() < 0)
        ereport(ERROR, (errextension(), errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("hive_tokens: libsodium failed to initialise")));

    DefineCustomStringVariable(
        "hive_tokens.key_file",
        "Path of the server keyring used to hash access tokens.",
        "Empty means hive_tokens.key in the data directory, created on first use. Relative paths are "
        "relative to the data directory. Only superusers can see or change it.",
        &hive_tokens::pg::key_file_setting, "", PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE, nullptr,
        key_file_assign, nullptr);

    DefineCustomIntVariable(
        "hive_tokens.verify_cache_size",
        "How many verified access_tokens rows each backend keeps in memory (0: none).",
        "A hit skips the table probe; any committed change to the tokens empties every backend's cache "
        "before its next verification. Rows are at most 1 kB each.",
        &hive_tokens::pg::verify_cache_size, 10000, 0, 1000000, PGC_SUSET, 0, nullptr,
        hive_tokens::pg::verify_cache_resized, nullptr);

    DefineCustomBoolVariable(
        "hive_tokens.track_usage", "Whether verifications count towards the token's last_used_at and use_count.",
        "Needs hive_tokens in shared_preload_libraries; a hot standby never counts.", &hive_tokens::pg::track_usage, true,
        PGC_SUSET, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "hive_tokens.usage_flush_interval", "How often the usage worker writes tokens' last_used_at and use_count.",
        "At most one UPDATE per token per interval; uses not yet written are in hive_tokens.usage_tracking().",
        &hive_tokens::pg::usage_flush_interval, 10, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomStringVariable(
        "hive_tokens.legacy_tokens_until",
        "After this time, tokens in Hive's legacy form (hvo1/, hvp1/, hvu1/) are refused.",
        "Empty (the default) accepts them. A timestamp with time zone, such as '2027-03-01 00:00+00'; "
        "verify_reason() then says legacy_refused.",
        &hive_tokens::pg::legacy_tokens_until, "", PGC_SUSET, 0, hive_tokens::pg::legacy_until_check,
        hive_tokens::pg::legacy_until_assign, nullptr);

    DefineCustomBoolVariable(
        "hive_tokens.issue_tickets",
        "Whether authenticate() and act_as_member() also set a ticket that carries the principal to Citus workers.",
        "For a Citus coordinator (with citus.propagate_set_commands = 'local'); see docs/scale-out.md.",
        &hive_tokens::pg::issue_tickets, false, PGC_SUSET, 0, nullptr, nullptr, nullptr);

    DefineCustomBoolVariable(
        "hive_tokens.accept_tickets",
        "Whether a transaction without a principal takes the one a valid ticket in hive_tokens.ticket carries.",
        "For Citus workers; a ticket is checked with the server key, for this database and role, and its token "
        "must still be live here.",
        &hive_tokens::pg::accept_tickets, false, PGC_SUSET, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "hive_tokens.ticket_lifetime", "How long a ticket set by authenticate() or act_as_member() is accepted.",
        "A worker refuses it afterwards: keep transactions that read distributed tables shorter.",
        &hive_tokens::pg::ticket_lifetime, 60, 1, 3600, PGC_SUSET, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomStringVariable(
        "hive_tokens.ticket", "The principal's ticket for this transaction (set by authenticate() with SET LOCAL).",
        "Set by the extension on a Citus coordinator; read on workers with hive_tokens.accept_tickets.",
        &hive_tokens::pg::ticket_setting, "", PGC_USERSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
        hive_tokens::pg::ticket_check, hive_tokens::pg::ticket_assign, nullptr);

    DefineCustomBoolVariable(
        "hive_tokens.allow_session_objects",
        "Whether authenticate(), try_authenticate() and act_as_member() accept a session that holds temporary "
        "objects or statements prepared with SQL.",
        "Off (the default): they refuse (55000), since code an earlier client of a pooled connection left there "
        "would run under the principal. Turn on only where no client can run SQL of its own.",
        &hive_tokens::pg::allow_session_objects, false, PGC_SUSET, 0, nullptr, nullptr, nullptr);

    if (process_shared_preload_libraries_in_progress) hive_tokens::pg::usage_preload();

    MarkGUCPrefixReserved("hive_tokens");
    hive_tokens::pg::register_principal_callbacks();
    hive_tokens::pg::register_usage_callbacks();
    hive_tokens::core::set_interrupt_check(hive_tokens::pg::service_interrupts);
    hive_tokens::pg::install_log_guard();
    hive_tokens::pg::guard_application_name(process_shared_preload_libraries_in_progress);
    hive_tokens::pg::install_session_state_hooks();
}
