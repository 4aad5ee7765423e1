// Type hive_tokens.hrn: a Hive resource name or pattern (src/core/hrn.h), stored as its canonical
// text, with its operators and operator-class support.
//
// Entry points:
//   hive_tokens_internal: hrn_in, hrn_out, hrn_recv, hrn_send, hrn_eq, hrn_ne, hrn_lt, hrn_le,
//     hrn_gt, hrn_ge, hrn_cmp, hrn_hash, hrn_hash_extended
//   hive_tokens: hrn_matches(pattern, resource) (operator @>), hrn_matched_by(resource, pattern)
//     (operator <@)
#include <string>

#include "../core/hrn.h"
#include "datum_io.h"
#include "guard.h"

extern "C" {
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
}

namespace core = hive_tokens::core;
using hive_tokens::pg::pg_call;

namespace {

text* hrn_text(const core::Hrn& h) {
    std::string s = h.text();
    text* t = nullptr;
    pg_call([&]() noexcept { t = cstring_to_text_with_len(s.data(), static_cast<int>(s.size())); });
    return t;
}

core::Hrn hrn_of(text* t) { return core::parse_hrn(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))); }

// The canonical text compared bytewise.
int hrn_compare(FunctionCallInfo fcinfo) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    std::size_t la = VARSIZE_ANY_EXHDR(a), lb = VARSIZE_ANY_EXHDR(b);
    int c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), la < lb ? la : lb);
    if (c != 0) return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb ? 1 : 0;
}

}  // namespace

HT_FUNCTION(hrn_in) { PG_RETURN_TEXT_P(hrn_text(core::parse_hrn(PG_GETARG_CSTRING(0)))); }

HT_FUNCTION(hrn_out) { PG_RETURN_CSTRING(text_to_cstring(PG_GETARG_TEXT_PP(0))); }

HT_FUNCTION(hrn_recv) {
    std::string_view s = hive_tokens::pg::received_text(fcinfo, core::kMaxHrnBytes, "resource name");
    PG_RETURN_TEXT_P(hrn_text(core::parse_hrn(s)));
}

HT_FUNCTION(hrn_send) {
    text* t = PG_GETARG_TEXT_PP(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendtext(&buf, VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t)));
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

HT_FUNCTION(hrn_eq) { PG_RETURN_BOOL(hrn_compare(fcinfo) == 0); }
HT_FUNCTION(hrn_ne) { PG_RETURN_BOOL(hrn_compare(fcinfo) != 0); }
HT_FUNCTION(hrn_lt) { PG_RETURN_BOOL(hrn_compare(fcinfo) < 0); }
HT_FUNCTION(hrn_le) { PG_RETURN_BOOL(hrn_compare(fcinfo) <= 0); }
HT_FUNCTION(hrn_gt) { PG_RETURN_BOOL(hrn_compare(fcinfo) > 0); }
HT_FUNCTION(hrn_ge) { PG_RETURN_BOOL(hrn_compare(fcinfo) >= 0); }
HT_FUNCTION(hrn_cmp) { PG_RETURN_INT32(hrn_compare(fcinfo)); }

HT_FUNCTION(hrn_hash) {
    text* t = PG_GETARG_TEXT_PP(0);
    return hash_any(reinterpret_cast<const unsigned char*>(VARDATA_ANY(t)), static_cast<int>(VARSIZE_ANY_EXHDR(t)));
}

HT_FUNCTION(hrn_hash_extended) {
    text* t = PG_GETARG_TEXT_PP(0);
    return hash_any_extended(reinterpret_cast<const unsigned char*>(VARDATA_ANY(t)),
                             static_cast<int>(VARSIZE_ANY_EXHDR(t)), PG_GETARG_INT64(1));
}

// pattern @> resource: Hive's match (organization part '*' or equal, path segments).
// (Arguments are detoasted before any C++ object exists: see guard.h.)
HT_FUNCTION(hrn_matches) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    PG_RETURN_BOOL(core::hrn_matches(hrn_of(a), hrn_of(b)));
}

HT_FUNCTION(hrn_matched_by) {
    text* a = PG_GETARG_TEXT_PP(0);
    text* b = PG_GETARG_TEXT_PP(1);
    PG_RETURN_BOOL(core::hrn_matches(hrn_of(b), hrn_of(a)));
}
