// Usage tracking: last_used_at and use_count of access_tokens without a write per verification
// (docs/operations.md, "Usage tracking").
#pragma once
#include <cstdint>

#include "../core/uuid.h"
#include "pg_includes.h"

extern "C" {
#include "utils/timestamp.h"
}

namespace hive_tokens::pg {

// hive_tokens.track_usage (superuser-settable, on by default): whether verifications count.
extern bool track_usage;
// hive_tokens.usage_flush_interval (seconds, reload): how often the worker writes the counts.
extern int usage_flush_interval;
// hive_tokens.usage_max_tokens (server start): distinct tokens held in shared memory between
// flushes; uses of further tokens are dropped (and counted) until the next flush.
extern int usage_max_tokens;

// Called from _PG_init while shared_preload_libraries is processed: the settings above that need
// a server start, the shared memory, the launcher worker and the dump at clean shutdown.
void usage_preload();
// Called from _PG_init in every process: the transaction-end hand-over of this backend's uses.
void register_usage_callbacks();

// The hot path: a live token was verified at `at`. Kept in this backend's memory (bounded) and
// handed to shared memory at transaction end. Never raises, never waits. Does nothing without
// preload, with track_usage off, or on a hot standby.
void note_use(const core::Uuid& id, TimestampTz at) noexcept;

// A legacy token imported from Hive was verified by bcrypt against `bcrypt` (60 characters): asks
// the flush worker to store its keyed hash `hash` (32 bytes, under key key_id) in place of the
// bcrypt. Never raises, never waits (a busy lock or full slots: the next use asks again). Does
// nothing without preload or on a hot standby: verification never writes.
void queue_hash_upgrade(const core::Uuid& id, const char bcrypt[60], int16 key_id, const std::uint8_t hash[32]) noexcept;

// True while the flush worker stores the keyed hashes of legacy tokens (immutable_token lets
// exactly that change through).
extern bool g_upgrading_legacy;

// True while the usage flush worker's own UPDATE runs (the cache triggers let it pass: it only
// moves last_used_at and use_count, which verification does not decide on).
extern bool g_usage_flushing;

}  // namespace hive_tokens::pg
