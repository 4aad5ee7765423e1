// The access-token wire format.
//
//   hv<c>2_ <body: 65 base62 chars> <checksum: 6 base62 chars>      (76 characters)
//
// c is 'o' (organization), 'p' (project) or 'u' (personal). The body is the fixed-width
// base62 encoding of the 48-byte big-endian integer uuid(16) || secret(32); the checksum is the
// CRC-32 of everything before it. Hive's legacy form `hv<c>1/` + base64("<uuid>:<64 hex>") is
// parsed too, so imported Hive tokens can be looked up by their embedded uuid.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base62.h"

namespace hive_tokens::core {

enum class TokenKind : char { Organization = 'o', Project = 'p', Personal = 'u' };

// Why a string is not a token. Each failure has its own status so callers (the type's input
// function, verify_reason, secret scanners) can say exactly what is wrong.
enum class ParseStatus {
    Ok,
    Empty,            // zero-length input
    UnknownPrefix,    // does not start with hvo2_, hvp2_, hvu2_ (or a legacy prefix)
    LegacyFormat,     // a well-formed Hive legacy token where only the new format is accepted
    WrongLength,      // right prefix, wrong total length
    BadCharacter,     // a character outside base62 (position reported)
    BadChecksum,      // well-formed, but the CRC-32 does not match: mistyped or forged
    OutOfRange,       // checksum fine but the body does not decode to 48 bytes (forged)
    LegacyMalformed,  // legacy prefix, but not base64("<uuid>:<64 hex>")
};

constexpr std::size_t kUuidBytes = 16;
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kPrefixChars = 5;                                         // "hvo2_"
constexpr std::size_t kBodyChars = base62::encoded_length(kUuidBytes + kSecretBytes);  // 65
constexpr std::size_t kChecksumChars = 6;
constexpr std::size_t kTokenLength = kPrefixChars + kBodyChars + kChecksumChars;  // 76
// Characters shown for display: the prefix plus four body characters. The leading body
// characters encode only the uuid's high bits, never the secret.
constexpr std::size_t kDisplayChars = kPrefixChars + 4;
constexpr std::size_t kLegacySecretChars = 64;
static_assert(kBodyChars == 65, "48 bytes need 65 base62 characters");

struct ParsedToken {
    int version;  // 2 = this extension's format, 1 = Hive legacy
    TokenKind kind;
    std::uint8_t id[kUuidBytes];
    std::uint8_t secret[kSecretBytes];                // version 2 only
    char legacy_secret[kLegacySecretChars];           // version 1 only (lowercase hex text)
};

struct ParseResult {
    ParseStatus status;
    std::size_t position;  // 0-based offending position for BadCharacter, else 0
    bool ok() const noexcept { return status == ParseStatus::Ok; }
};

// Parses either format. Never reads past len; never copies input into messages.
// On failure `out` is wiped.
ParseResult parse_token(const char* s, std::size_t len, ParsedToken* out) noexcept;

// Formats a version-2 token into exactly kTokenLength characters (not NUL-terminated).
void format_token(TokenKind kind, const std::uint8_t id[kUuidBytes],
                  const std::uint8_t secret[kSecretBytes], char out[kTokenLength]) noexcept;

// Fresh random uuid (RFC 4122 version 4) and 256-bit secret from libsodium's CSPRNG.
void generate_token(TokenKind kind, ParsedToken* out) noexcept;

// A short English description of a status, for error messages ("checksum does not match").
const char* describe(ParseStatus status) noexcept;


bool kind_from_letter(char c, TokenKind* kind) noexcept;
const char* kind_name(TokenKind kind) noexcept;  // "organization" | "project" | "personal"
bool kind_from_name(const char* name, std::size_t len, TokenKind* kind) noexcept;

// Masked display form: the first kDisplayChars characters followed by `ellipsis`.
std::string mask_token(const char* token, std::size_t len, const char* ellipsis);

// Token-shaped text: "hv" + o|p|u + "2_" followed by at least kRedactMinRun base62 characters, or
// "hv" + o|p|u + "1/" followed by at least kRedactMinRun base64 characters (Hive's legacy form).
// Shorter runs (a prefix in a LIKE pattern, a masked token) are not token-shaped.
constexpr std::size_t kRedactMinRun = 16;

// Whether text holds anything token-shaped.
bool contains_token(std::string_view text) noexcept;

// What a piece of a token looks like without its prefix (an excerpt that starts inside it, such
// as the "...<last 50 bytes>" of a JSON or XML parse error, or a token whose "_" was written
// escaped): a run of at least kSecretRun base62 characters mixing digits and letters, or of at
// least kSecretLetterRun mixing upper and lower case. A token's body is random, so a run of it
// that escapes both rules is short and carries too few bits to rebuild the token, even with its
// id and checksum. Hex digests are masked too (the log loses their text, never a secret);
// camelCase words such as "modifyOrganizationRules" stay readable.
constexpr std::size_t kSecretRun = 20;
constexpr std::size_t kSecretLetterRun = 32;

// Overwrites, in place: everything after the first kDisplayChars of each token-shaped run, every
// Citus ticket after its "htk1." (ticket.h), and every secret-looking run (kSecretRun) whole, with
// '*'; returns how many runs it masked.
// Allocates nothing and never fails, so the server log's hook can use it on any message: a
// token that reaches a message by any path (log_statement, a deadlock report's list of queries,
// the parameters of a failed statement, a parse error quoting part of it) loses its secret there.
std::size_t redact_tokens(char* text, std::size_t len) noexcept;

// Whether a statement's text must not be logged: it holds something token-shaped, or a long run
// (2 * kSecretRun) mixing upper case, lower case and digits.
bool statement_holds_secret(std::string_view text) noexcept;

}  // namespace hive_tokens::core
