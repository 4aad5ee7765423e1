// Module entry: PG_MODULE_MAGIC, libsodium initialisation and the extension's settings.
#include <sodium.h>

#include "../core/error.h"
#include "guard.h"
#include "keyring_loader.h"
#include "log_guard.h"
#include "principal.h"
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
        ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("hive_tokens: libsodium failed to initialise")));

    DefineCustomStringVariable(
        "hive_tokens.key_file",
        "Path of the server keyring used to hash access tokens.",
        "Empty means hive_tokens.key in the data directory, created on first use. Relative paths are "
        "relative to the data directory. Only superusers can see or change it.",
        &hive_tokens::pg::key_file_setting, "", PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE, nullptr,
        key_file_assign, nullptr);

    MarkGUCPrefixReserved("hive_tokens");
    hive_tokens::pg::register_principal_callbacks();
    hive_tokens::core::set_interrupt_check(hive_tokens::pg::service_interrupts);
    hive_tokens::pg::install_log_guard();
}
