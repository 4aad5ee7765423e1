// The server keyring and the keyed hash stored for every token.
//
// Key file format (text, one key per line, '#' starts a comment, blank lines ignored):
//
//     <key id 1..32767> <64 hexadecimal characters = 32 bytes>
//
// The first key issues new tokens; every key verifies. The key id is stored beside each
// hash so that keys can rotate: add a new line at the top, keep the old line until no live
// token uses it (hive_tokens.key_usage()), then remove it.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace hive_tokens::core {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMaxKeys = 16;
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

struct ServerKey {
    std::int16_t id;
    std::uint8_t bytes[kKeyBytes];
};

struct Keyring {
    std::size_t count = 0;
    ServerKey keys[kMaxKeys];

    const ServerKey* find(int id) const noexcept;
    const ServerKey& issuing() const noexcept { return keys[0]; }
    void wipe() noexcept;
};

// Parses a key file's content. Throws Error(ErrorKind::ConfigFile) naming `filename` and the
// line, never the line's content. `out` is wiped first and on failure.
void parse_keyring(const char* data, std::size_t len, const std::string& filename, Keyring* out);

// Content of a freshly generated key file holding one random key under a random id (1..32767).
// The caller must wipe the returned string's buffer (wipe_string) after writing it.
std::string new_key_file_content();
void wipe_string(std::string* s) noexcept;

// BLAKE2b-256 (libsodium crypto_generichash) of the whole token text keyed with `key`.
void keyed_hash(const ServerKey& key, const char* token, std::size_t len, std::uint8_t out[kHashBytes]) noexcept;

// Constant-time comparison of two 32-byte hashes.
bool hash_equal(const std::uint8_t a[kHashBytes], const std::uint8_t b[kHashBytes]) noexcept;

}  // namespace hive_tokens::core
