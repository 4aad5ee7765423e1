#include "keyring.h"

#include <sodium.h>

#include <cstring>

#include "error.h"
#include "uuid.h"

namespace hive_tokens::core {

namespace {

[[noreturn]] void bad_line(const std::string& filename, std::size_t line, const std::string& what, Keyring* out) {
    out->wipe();
    throw Error(ErrorKind::ConfigFile,
                "key file \"" + filename + "\" line " + std::to_string(line) + ": " + what,
                "", "Each line must be \"<key id 1..32767> <64 hexadecimal characters>\"; see the README, section \"The server key\".");
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

const ServerKey* Keyring::find(int id) const noexcept {
    for (std::size_t i = 0; i < count; ++i)
        if (keys[i].id == id) return &keys[i];
    return nullptr;
}

void Keyring::wipe() noexcept {
    sodium_memzero(keys, sizeof keys);
    count = 0;
}

void parse_keyring(const char* data, std::size_t len, const std::string& filename, Keyring* out) {
    out->wipe();
    if (len > kMaxKeyFileBytes)
        throw Error(ErrorKind::ConfigFile, "key file \"" + filename + "\" is too large",
                    "A key file holds at most " + std::to_string(kMaxKeys) + " short lines.",
                    "Point hive_tokens.key_file at the keyring file itself.");
    std::size_t line = 0;
    std::size_t pos = 0;
    while (pos < len) {
        ++line;
        std::size_t end = pos;
        while (end < len && data[end] != '\n') ++end;
        std::size_t p = pos;
        std::size_t e = end;
        pos = end + 1;
        while (p < e && is_space(data[p])) ++p;
        while (e > p && is_space(data[e - 1])) --e;
        if (p == e || data[p] == '#') continue;

        long id = 0;
        std::size_t digits = 0;
        while (p < e && data[p] >= '0' && data[p] <= '9' && digits < 6) {
            id = id * 10 + (data[p] - '0');
            ++p;
            ++digits;
        }
        if (digits == 0 || id < 1 || id > 32767 || p == e || !is_space(data[p]))
            bad_line(filename, line, "the key id must be a number from 1 to 32767 followed by a space", out);
        while (p < e && is_space(data[p])) ++p;
        if (e - p != 2 * kKeyBytes)
            bad_line(filename, line,
                     "the key must be exactly " + std::to_string(2 * kKeyBytes) + " hexadecimal characters (" +
                         std::to_string(kKeyBytes) + " bytes), found " + std::to_string(e - p),
                     out);
        if (out->count == kMaxKeys)
            bad_line(filename, line, "more than " + std::to_string(kMaxKeys) + " keys", out);
        if (out->find(static_cast<int>(id)))
            bad_line(filename, line, "key id " + std::to_string(id) + " appears twice", out);
        ServerKey& k = out->keys[out->count];
        for (std::size_t i = 0; i < kKeyBytes; ++i) {
            int hi = hex_value(data[p + 2 * i]), lo = hex_value(data[p + 2 * i + 1]);
            if (hi < 0 || lo < 0) bad_line(filename, line, "the key contains a non-hexadecimal character", out);
            k.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
        }
        k.id = static_cast<std::int16_t>(id);
        ++out->count;
    }
    if (out->count == 0)
        throw Error(ErrorKind::ConfigFile, "key file \"" + filename + "\" holds no key", "",
                    "Each line must be \"<key id 1..32767> <64 hexadecimal characters>\"; see the README, section \"The server key\".");
}

std::string new_key_file_content() {
    std::uint8_t key[kKeyBytes];
    randombytes_buf(key, sizeof key);
    char hex[2 * kKeyBytes + 1];
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    std::string s;
    s.reserve(512);  // no reallocation: no stray copies of the key in freed memory
    s +=
        "# hive_tokens server keyring: \"<key id> <32 bytes as hex>\" per line.\n"
        "# The first key issues new tokens; every key verifies. Losing this file makes every\n"
        "# token unverifiable: back it up apart from the database.\n";
    // A random id: two keys created independently (say, by two clusters restored from one
    // dump) almost never share an id, so a token meets "key_unavailable", not a wrong key.
    s += std::to_string(1 + randombytes_uniform(32767));
    s += " ";
    s.append(hex, 2 * kKeyBytes);
    s += "\n";
    sodium_memzero(key, sizeof key);
    sodium_memzero(hex, sizeof hex);
    return s;
}

void wipe_string(std::string* s) noexcept {
    if (!s->empty()) sodium_memzero(&(*s)[0], s->size());
    s->clear();
}

void keyed_hash(const ServerKey& key, const char* token, std::size_t len, std::uint8_t out[kHashBytes]) noexcept {
    crypto_generichash(out, kHashBytes, reinterpret_cast<const unsigned char*>(token), len, key.bytes, kKeyBytes);
}

bool hash_equal(const std::uint8_t a[kHashBytes], const std::uint8_t b[kHashBytes]) noexcept {
    return crypto_verify_32(a, b) == 0;
}

}  // namespace hive_tokens::core
