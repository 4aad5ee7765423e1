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

// A value keeping a bit the catalog does not define (a restore that loads grants before the
// catalog) holds that bit for the permission that will be restored there: this transaction takes
// the advisory lock (kHeldBitsLock) in share mode until it ends, and register_permission() takes
// it exclusively before it reads the stored values, so it waits for every such transaction and
// then sees what it wrote. Returns the catalog as it is once the lock is held (a registration
// that committed meanwhile is in it).
constexpr int kHeldBitsLockClass = 1751742053;  // pg_locks: locktype advisory, classid 'hive',
constexpr int kHeldBitsLockObject = 1651078259;  // objid 'bits', objsubid 2
const core::PermissionCatalog& hold_undefined_bits();

// Takes the held-bits advisory lock in share mode (false: a value keeping an undefined bit) or
// exclusive mode with the permission catalog too (true: a registration), until the transaction
// ends: under the top transaction's resource owner, so a subtransaction that rolls back does not
// release them. A PostgreSQL error on failure (call it where one may be raised).
void lock_held_bits(bool registering);

// Increases every time the catalog is reloaded: callers caching parse results compare it.
extern unsigned long g_catalog_generation;
inline unsigned long catalog_generation() noexcept { return g_catalog_generation; }

}  // namespace hive_tokens::pg
