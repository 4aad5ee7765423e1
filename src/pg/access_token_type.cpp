// Type hive_tokens.access_token: a validated hv?2_ token literal. Input checks prefix, length,
// alphabet and checksum without touching a table; text and binary output are masked
// ("hvo2_AbCd…"), so the type is write-only by design: values never print back in full.
//
// Entry points (hive_tokens_internal): access_token_in, access_token_out, access_token_recv,
// access_token_send.
#include <sodium.h>

#include <string>

#include "../core/token_codec.h"
#include "datum_io.h"
#include "guard.h"

extern "C" {
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;

namespace {

constexpr int kMaxBinaryToken = 256;

// Validates; on success returns a palloc'd text holding the token.
text* make_access_token(const char* s, std::size_t len) {
    core::ParsedToken pt;
    core::ParseResult r = core::parse_token(s, len, &pt);
    if (r.ok() && pt.version != 2) r.status = core::ParseStatus::LegacyFormat;
    sodium_memzero(&pt, sizeof pt);
    if (!r.ok()) {
        ereport(ERROR,
                (errextension(), errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                 errmsg("invalid access token: %s", core::describe(r.status)),
                 r.status == core::ParseStatus::BadCharacter
                     ? errdetail("The first invalid character is at position %zu.", r.position + 1)
                 : r.status == core::ParseStatus::WrongLength
                     ? errdetail("A token has %zu characters; the input has %zu.", core::kTokenLength, len)
                     : 0,
                 r.status == core::ParseStatus::LegacyFormat
                     ? errhint("Pass legacy Hive tokens as text to hive_tokens.verify().")
                     : 0));
    }
    return cstring_to_text_with_len(s, static_cast<int>(len));
}

// The display form (core::mask_token): the prefix and four characters, then an ellipsis.
char* masked(const text* t) {
    const char* ellipsis = GetDatabaseEncoding() == PG_UTF8 ? "\xe2\x80\xa6" : "...";
    return hive_tokens::pg::palloc_cstring(core::mask_token(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), ellipsis));
}

}  // namespace

HT_TOKEN_FUNCTION(access_token_in) {
    const char* s = PG_GETARG_CSTRING(0);
    PG_RETURN_TEXT_P(make_access_token(s, strlen(s)));
}

HT_FUNCTION(access_token_out) { PG_RETURN_CSTRING(masked(PG_GETARG_TEXT_PP(0))); }

HT_TOKEN_FUNCTION(access_token_recv) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    // Every token, legacy ones included, is far shorter: refuse before converting anything.
    if (buf->len - buf->cursor > kMaxBinaryToken)
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid access token: longer than %d bytes", kMaxBinaryToken)));
    int nbytes = 0;
    char* s = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);
    text* t = make_access_token(s, static_cast<std::size_t>(nbytes));
    explicit_bzero(s, static_cast<std::size_t>(nbytes));
    PG_RETURN_TEXT_P(t);
}

HT_FUNCTION(access_token_send) {
    char* m = masked(PG_GETARG_TEXT_PP(0));
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendtext(&buf, m, static_cast<int>(strlen(m)));
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
