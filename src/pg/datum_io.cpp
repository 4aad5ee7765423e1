#include "guard.h"  // core headers first (src/core/core_guard.h)
#include "datum_io.h"

extern "C" {
#include "libpq/pqformat.h"
}

std::string_view hive_tokens::pg::received_text(FunctionCallInfo fcinfo, std::size_t max, const char* what) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    if (static_cast<std::size_t>(buf->len - buf->cursor) > max)
        ereport(ERROR, (errextension(), errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid %s: longer than %zu bytes", what, max)));
    int n = 0;
    char* s = pq_getmsgtext(buf, buf->len - buf->cursor, &n);
    return std::string_view(s, static_cast<std::size_t>(n));
}

char* hive_tokens::pg::palloc_cstring(const std::string& s) {
    char* out = nullptr;
    pg_call([&]() noexcept { out = pstrdup(s.c_str()); });
    return out;
}
