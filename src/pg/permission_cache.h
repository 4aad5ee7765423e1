// The backend's copy of hive_tokens.permissions as a core::PermissionCatalog.
//
// Loaded on first use with a heap scan (no SPI). A statement-level trigger on the table sends
// a relcache invalidation for it (trigger hive_tokens_internal.permissions_changed()), so every backend drops
// its copy when a change commits (and the changing backend at its next command): no polling.
#pragma once
#include <string_view>

#include "../core/permission_catalog.h"

namespace hive_tokens::pg {

const core::PermissionCatalog& current_catalog();

// The permission an action names; an unknown name is an error (22023) suggesting the closest,
// never a silent "denied".
const core::Permission& find_action(std::string_view name);

// Increases every time the catalog is reloaded: callers caching parse results compare it.
extern unsigned long g_catalog_generation;
inline unsigned long catalog_generation() noexcept { return g_catalog_generation; }

}  // namespace hive_tokens::pg
