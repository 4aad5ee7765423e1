#include "token_codec.h"

#include <sodium.h>

#include <cstring>

#include "crc32.h"
#include "uuid.h"

namespace hive_tokens::core {

namespace {

int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Strict standard base64 with '=' padding, canonical only: the bits a padded group leaves over
// must be zero (otherwise one value would have several spellings). Returns decoded length or -1.
long base64_decode(const char* s, std::size_t len, std::uint8_t* out, std::size_t cap) noexcept {
    if (len == 0 || len % 4 != 0) return -1;
    std::size_t o = 0;
    for (std::size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s[i + k];
            if (c == '=') {
                if (i + 4 != len || k < 2) return -1;
                v[k] = 0;
                ++pad;
            } else {
                if (pad) return -1;  // data after padding
                v[k] = base64_value(c);
                if (v[k] < 0) return -1;
            }
        }
        if ((pad == 1 && (v[2] & 0x3) != 0) || (pad == 2 && (v[1] & 0xf) != 0)) return -1;
        std::uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        std::uint8_t b[3] = {static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                             static_cast<std::uint8_t>(n)};
        for (int k = 0; k < 3 - pad; ++k) {
            if (o >= cap) return -1;
            out[o++] = b[k];
        }
    }
    return static_cast<long>(o);
}

ParseResult fail(ParsedToken* out, ParseStatus st, std::size_t pos = 0) noexcept {
    sodium_memzero(out, sizeof *out);
    return {st, pos};
}

// Hive's legacy form, canonical only: Hive writes the uuid and the secret in lower case, and a
// legacy token is checked by bcrypt of its secret, which does not cover the rest of the string;
// accepting other spellings of the same uuid and secret would let one token have many strings
// (and the first one used would become the only one accepted once its keyed hash is stored).
ParseResult parse_legacy(const char* s, std::size_t len, TokenKind kind, ParsedToken* out) noexcept {
    // "<uuid 36>:<secret 64 hex>" = 101 bytes -> 136 base64 characters -> 142 with the prefix.
    std::uint8_t buf[128];
    long n = base64_decode(s + 5, len - 5, buf, sizeof buf);
    ParseResult r{ParseStatus::Ok, 0};
    char canonical[36];
    if (n != 36 + 1 + static_cast<long>(kLegacySecretChars) || buf[36] != ':' ||
        !uuid_from_text(reinterpret_cast<const char*>(buf), 36, out->id) ||
        (uuid_to_text(out->id, canonical), std::memcmp(canonical, buf, 36) != 0)) {
        r = fail(out, ParseStatus::LegacyMalformed);
    } else {
        for (std::size_t i = 0; i < kLegacySecretChars; ++i) {
            char c = static_cast<char>(buf[37 + i]);
            if (hex_value(c) < 0 || (c >= 'A' && c <= 'F')) {
                r = fail(out, ParseStatus::LegacyMalformed);
                break;
            }
            out->legacy_secret[i] = c;
        }
        if (r.ok()) {
            out->version = 1;
            out->kind = kind;
        }
    }
    sodium_memzero(buf, sizeof buf);
    return r;
}

}  // namespace

bool kind_from_letter(char c, TokenKind* kind) noexcept {
    switch (c) {
        case 'o': *kind = TokenKind::Organization; return true;
        case 'p': *kind = TokenKind::Project; return true;
        case 'u': *kind = TokenKind::Personal; return true;
        default: return false;
    }
}

const char* kind_name(TokenKind kind) noexcept {
    switch (kind) {
        case TokenKind::Organization: return "organization";
        case TokenKind::Project: return "project";
        case TokenKind::Personal: return "personal";
    }
    return "organization";
}

bool kind_from_name(const char* name, std::size_t len, TokenKind* kind) noexcept {
    for (TokenKind k : {TokenKind::Organization, TokenKind::Project, TokenKind::Personal}) {
        const char* n = kind_name(k);
        if (std::strlen(n) == len && std::memcmp(n, name, len) == 0) {
            *kind = k;
            return true;
        }
    }
    return false;
}

ParseResult parse_token(const char* s, std::size_t len, ParsedToken* out) noexcept {
    std::memset(out, 0, sizeof *out);
    if (len == 0) return fail(out, ParseStatus::Empty);
    TokenKind kind;
    if (len < kPrefixChars || s[0] != 'h' || s[1] != 'v' || !kind_from_letter(s[2], &kind))
        return fail(out, ParseStatus::UnknownPrefix);
    if (s[3] == '1' && s[4] == '/') return parse_legacy(s, len, kind, out);
    if (s[3] != '2' || s[4] != '_') return fail(out, ParseStatus::UnknownPrefix);
    if (len != kTokenLength) return fail(out, ParseStatus::WrongLength);
    for (std::size_t i = kPrefixChars; i < len; ++i)
        if (base62::digit_value(s[i]) < 0) return fail(out, ParseStatus::BadCharacter, i);

    std::uint32_t expected;
    if (!base62::decode_u32(s + kPrefixChars + kBodyChars, &expected) ||
        crc32(s, kPrefixChars + kBodyChars) != expected)
        return fail(out, ParseStatus::BadChecksum);

    std::uint8_t raw[kUuidBytes + kSecretBytes];
    bool fits = base62::decode(s + kPrefixChars, kBodyChars, raw, sizeof raw);
    if (fits) {
        out->version = 2;
        out->kind = kind;
        std::memcpy(out->id, raw, kUuidBytes);
        std::memcpy(out->secret, raw + kUuidBytes, kSecretBytes);
    }
    sodium_memzero(raw, sizeof raw);
    if (!fits) return fail(out, ParseStatus::OutOfRange);
    return {ParseStatus::Ok, 0};
}

void format_token(TokenKind kind, const std::uint8_t id[kUuidBytes], const std::uint8_t secret[kSecretBytes],
                  char out[kTokenLength]) noexcept {
    out[0] = 'h';
    out[1] = 'v';
    out[2] = static_cast<char>(kind);
    out[3] = '2';
    out[4] = '_';
    std::uint8_t raw[kUuidBytes + kSecretBytes];
    std::memcpy(raw, id, kUuidBytes);
    std::memcpy(raw + kUuidBytes, secret, kSecretBytes);
    base62::encode(raw, sizeof raw, out + kPrefixChars, kBodyChars);  // always fits: 62^65 > 2^384
    sodium_memzero(raw, sizeof raw);
    base62::encode_u32(crc32(out, kPrefixChars + kBodyChars), out + kPrefixChars + kBodyChars);
}

void generate_token(TokenKind kind, ParsedToken* out) noexcept {
    std::memset(out, 0, sizeof *out);
    out->version = 2;
    out->kind = kind;
    randombytes_buf(out->id, kUuidBytes);
    out->id[6] = static_cast<std::uint8_t>((out->id[6] & 0x0f) | 0x40);  // version 4
    out->id[8] = static_cast<std::uint8_t>((out->id[8] & 0x3f) | 0x80);  // RFC 4122 variant
    randombytes_buf(out->secret, kSecretBytes);
}

const char* describe(ParseStatus status) noexcept {
    switch (status) {
        case ParseStatus::Ok: return "valid";
        case ParseStatus::Empty: return "the string is empty";
        case ParseStatus::UnknownPrefix: return "it does not start with hvo2_, hvp2_ or hvu2_";
        case ParseStatus::LegacyFormat: return "it is a legacy Hive token (hv?1/), not a hv?2_ token";
        case ParseStatus::WrongLength: return "it does not have the length of a token";
        case ParseStatus::BadCharacter: return "it contains a character outside 0-9, A-Z, a-z";
        case ParseStatus::BadChecksum: return "its checksum does not match (mistyped or altered)";
        case ParseStatus::OutOfRange: return "its body does not decode to a token id and secret";
        case ParseStatus::LegacyMalformed: return "it is not a well-formed legacy Hive token";
    }
    return "invalid";
}

std::string mask_token(const char* token, std::size_t len, const char* ellipsis) {
    std::string s(token, len < kDisplayChars ? len : kDisplayChars);
    s += ellipsis;
    return s;
}

namespace {

bool base64_char(char c) noexcept {
    return base62::digit_value(c) >= 0 || c == '+' || c == '/' || c == '=';
}

// If a token-shaped run starts at text[i], the length of the run (prefix included), else 0.
std::size_t token_run(std::string_view text, std::size_t i) noexcept {
    if (text.size() - i < kPrefixChars || text[i] != 'h' || text[i + 1] != 'v') return 0;
    TokenKind kind;
    if (!kind_from_letter(text[i + 2], &kind)) return 0;
    bool legacy = text[i + 3] == '1' && text[i + 4] == '/';
    if (!legacy && !(text[i + 3] == '2' && text[i + 4] == '_')) return 0;
    std::size_t j = i + kPrefixChars;
    while (j < text.size() && (legacy ? base64_char(text[j]) : base62::digit_value(text[j]) >= 0)) ++j;
    return j - (i + kPrefixChars) >= kRedactMinRun ? j - i : 0;
}

}  // namespace

bool contains_token(std::string_view text) noexcept {
    for (std::size_t i = text.find("hv"); i != std::string_view::npos; i = text.find("hv", i + 1))
        if (token_run(text, i) != 0) return true;
    return false;
}

namespace {

struct RunClasses {
    bool upper, lower, digit;
    int count() const noexcept { return int(upper) + int(lower) + int(digit); }
};

// Calls f(start, length, classes) for every maximal run of base62 characters in text.
template <typename F>
void for_each_base62_run(std::string_view text, F&& f) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (base62::digit_value(text[i]) < 0) {
            ++i;
            continue;
        }
        std::size_t start = i;
        bool upper = false, lower = false, digit = false;
        for (; i < text.size() && base62::digit_value(text[i]) >= 0; ++i) {
            char c = text[i];
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
        }
        f(start, i - start, RunClasses{upper, lower, digit});
    }
}

}  // namespace

std::size_t redact_tokens(char* text, std::size_t len) noexcept {
    std::string_view view(text, len);
    std::size_t masked = 0;
    for (std::size_t i = view.find("hv"); i != std::string_view::npos; i = view.find("hv", i)) {
        std::size_t run = token_run(view, i);
        if (run == 0) {
            ++i;
            continue;
        }
        std::memset(text + i + kDisplayChars, '*', run - kDisplayChars);
        ++masked;
        i += run;
    }
    // A Citus ticket (ticket.h): "htk1." stays, the rest of its run of base64url and dots goes.
    for (std::size_t i = view.find("htk1."); i != std::string_view::npos; i = view.find("htk1.", i)) {
        std::size_t j = i + 5;
        while (j < len && ((text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z') ||
                           (text[j] >= '0' && text[j] <= '9') || text[j] == '-' || text[j] == '_' || text[j] == '.'))
            text[j++] = '*';
        if (j > i + 5) ++masked;
        i = j;
    }
    for_each_base62_run(view, [&](std::size_t start, std::size_t n, RunClasses c) {
        // Digits among letters, or (longer) both cases: a camelCase word such as
        // "modifyOrganizationRules" stays readable.
        if ((n >= kSecretRun && c.digit && (c.upper || c.lower)) || (n >= kSecretLetterRun && c.upper && c.lower)) {
            std::memset(text + start, '*', n);
            ++masked;
        }
    });
    return masked;
}

bool statement_holds_secret(std::string_view text) noexcept {
    if (contains_token(text)) return true;
    bool found = false;
    for_each_base62_run(text, [&](std::size_t, std::size_t n, RunClasses c) {
        if (n >= 2 * kSecretRun && c.count() == 3) found = true;
    });
    return found;
}

}  // namespace hive_tokens::core
