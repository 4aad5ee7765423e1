// hive_tokens_internal.shown(text) -> text: input as the extension's messages show it (core::shown), for the
// PL/pgSQL functions' messages: at most 64 characters, with control, invisible and reordering
// characters escaped, so a message never carries a raw line break or terminal escape.
#include "../core/error.h"
#include "guard.h"

extern "C" {
#include "utils/builtins.h"
}

HT_FUNCTION(shown) {
    text* t = PG_GETARG_TEXT_PP(0);
    std::string s = hive_tokens::core::shown(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
    text* out = nullptr;
    hive_tokens::pg::pg_call([&]() noexcept { out = cstring_to_text_with_len(s.data(), static_cast<int>(s.size())); });
    PG_RETURN_TEXT_P(out);
}
