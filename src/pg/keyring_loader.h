// Loading the server keyring from hive_tokens.key_file (outside SQL's reach).
#pragma once
#include "../core/keyring.h"

namespace hive_tokens::pg {

// GUC hive_tokens.key_file; defined in module.cpp.
extern char* key_file_setting;

// The keyring for this backend, (re)loaded when the setting changed (at once) or the file
// changed (checked at most once a second). Throws core::Error (file missing, unreadable, unsafe mode,
// malformed). The default file ($PGDATA/hive_tokens.key) is created when missing.
const core::Keyring& current_keyring();

// Forget the cached keys (wiped) so the next use reloads; called when the setting changes.
void invalidate_keyring() noexcept;

}  // namespace hive_tokens::pg
