// libFuzzer target: the token parser (this extension's hv?2_ format and Hive's legacy hv?1/ form)
// and the log guard's redaction, on arbitrary bytes.
// Invariants: parsing never crashes and either fails with a status or yields a token whose one
// spelling is the input (a v2 token formats back to it; a legacy token re-encodes to it: one string
// per token); after redact_tokens() no token-shaped text is left; text that holds a token is a
// statement that holds a secret.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "token_codec.h"
#include "uuid.h"

using namespace hive_tokens::core;

namespace {
std::string base64(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                     static_cast<unsigned char>(in[i + 2]);
        out += a[n >> 18 & 63];
        out += a[n >> 12 & 63];
        out += a[n >> 6 & 63];
        out += a[n & 63];
    }
    if (in.size() - i == 1) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16;
        out += a[n >> 18 & 63];
        out += a[n >> 12 & 63];
        out += "==";
    } else if (in.size() - i == 2) {
        unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
        out += a[n >> 18 & 63];
        out += a[n >> 12 & 63];
        out += a[n >> 6 & 63];
        out += '=';
    }
    return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    ParsedToken t;
    ParseResult r = parse_token(in.data(), in.size(), &t);
    if (describe(r.status) == nullptr) std::abort();
    if (r.ok()) {
        const char letter = static_cast<char>(t.kind);
        if (t.version == 2) {
            char out[kTokenLength];
            format_token(t.kind, t.id, t.secret, out);
            if (in != std::string(out, sizeof out)) std::abort();
        } else if (t.version == 1) {
            char id[36];
            uuid_to_text(t.id, id);
            std::string payload = std::string(id, 36) + ":" + std::string(t.legacy_secret, kLegacySecretChars);
            if (in != std::string("hv") + letter + "1/" + base64(payload)) std::abort();
        } else {
            std::abort();
        }
        if (!contains_token(in) || !statement_holds_secret(in)) std::abort();  // a token is token-shaped
    } else if (r.status != ParseStatus::BadCharacter && r.position != 0) {
        std::abort();  // a position only for a bad character
    }
    std::string redacted = in;
    redact_tokens(redacted.data(), redacted.size());
    if (contains_token(redacted)) std::abort();
    if (contains_token(in) && !statement_holds_secret(in)) std::abort();
    return 0;
}
