// libFuzzer target: the scopes text form ("{a:b, c:*, *:describe, *}"), the stored form
// ("{name@bit, ...}") and the binary form (int32 count, int32 length + name per permission) on
// arbitrary bytes, against Hive's built-in permission catalog.
// Invariants: parsing either succeeds or throws core::Error (never crashes or hangs); a parsed
// set prints to canonical text that parses back to the same set, in both forms; the stored form of
// a stored value reads back to the same bits; a decoded binary value encodes to bytes that decode
// to the same set, and its text form agrees.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "permission_catalog.h"

using namespace hive_tokens::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const PermissionCatalog catalog = PermissionCatalog::builtin();
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    try {
        const Scopes s = catalog.parse(in);
        const std::string text = catalog.format(s);
        if (!(catalog.parse(text) == s)) std::abort();
        if (!(catalog.parse_stored(catalog.format_stored(s)) == s)) std::abort();
    } catch (const Error&) {
    }
    try {
        bool kept = false;
        const Scopes s = catalog.parse_stored(in, &kept);
        if (!(catalog.parse_stored(catalog.format_stored(s)) == s)) std::abort();
        if (!kept && !(catalog.parse(catalog.format(s)) == s)) std::abort();
    } catch (const Error&) {
    }
    try {
        const Scopes s = catalog.decode_binary(in);
        const std::string bytes = catalog.encode_binary(s);
        if (!(catalog.decode_binary(bytes) == s) || catalog.encode_binary(catalog.decode_binary(bytes)) != bytes) std::abort();
        if (!(catalog.parse(catalog.format(s)) == s)) std::abort();
    } catch (const Error&) {
    }
    return 0;
}
