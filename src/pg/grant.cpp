// What a token may be granted (src/core/grant.h), for issue() and for the table it writes.
//
// Entry points (hive_tokens_internal): validate_grant(organization uuid, title text, scopes,
// resources jsonb, description text, expires_at timestamptz, kind text, project uuid,
// user_id uuid) -> (resources jsonb, title text, description text), grant_row_ok(kind text, title text, description text,
// project_id uuid, user_id uuid, scopes) -> boolean.
#include <optional>
#include <string_view>

#include "../core/grant.h"
#include "guard.h"
#include "jsonb_value.h"
#include "permission_cache.h"
#include "scopes_type.h"
#include "uuid_datum.h"

extern "C" {
#include "access/xact.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/timestamp.h"
}

namespace core = hive_tokens::core;
namespace pg = hive_tokens::pg;

namespace {

std::optional<std::string_view> text_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    text* t = PG_GETARG_TEXT_PP(n);
    return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

}  // namespace

// validate_grant(...) -> (resources jsonb, title text, description text): every rule of issue(),
// in its order; returns what to store: the resources normalized (a project token's in Hive's
// granular form), the title and description trimmed as Hive trims them.
HT_FUNCTION(validate_grant) {
    // Every argument is fetched (and detoasted) before any C++ object exists.
    core::GrantRequest r;
    r.has_organization = !PG_ARGISNULL(0);
    r.title = text_arg(fcinfo, 1);
    r.scopes = PG_ARGISNULL(2) ? nullptr : pg::scopes_arg(fcinfo, 2);
    Jsonb* resources = PG_ARGISNULL(3) ? nullptr : PG_GETARG_JSONB_P(3);
    r.description = text_arg(fcinfo, 4);
    if (!PG_ARGISNULL(5)) r.expires_at = PG_GETARG_TIMESTAMPTZ(5);
    r.now = GetCurrentTimestamp();  // the clock: a token is never issued already expired
    r.kind = text_arg(fcinfo, 6);
    if (!PG_ARGISNULL(7)) r.project = pg::uuid_from_datum(PG_GETARG_DATUM(7));
    r.has_user = !PG_ARGISNULL(8);
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("validate_grant() must return a composite type")));
    Datum values[3];
    bool nulls[3] = {false, false, false};
    {
        core::json::Value v;
        if (resources != nullptr) v = pg::jsonb_value(resources);
        r.resources = resources != nullptr ? &v : nullptr;
        core::Grant g = core::validate_grant(r, pg::current_catalog());
        values[0] = pg::jsonb_datum(core::to_json(g.resources));
        pg::pg_call([&]() noexcept {
            values[1] = PointerGetDatum(cstring_to_text_with_len(g.title.data(), static_cast<int>(g.title.size())));
            nulls[2] = !g.description.has_value();
            if (g.description)
                values[2] = PointerGetDatum(cstring_to_text_with_len(g.description->data(), static_cast<int>(g.description->size())));
        });
    }
    PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

// grant_row_ok(kind, title, description, project_id, user_id, scopes) -> boolean: the rules a
// stored row follows whatever the catalog says (the CHECK of access_tokens); true, or the error
// issue() would give.
HT_FUNCTION(grant_row_ok) {
    std::optional<std::string_view> kind = text_arg(fcinfo, 0), title = text_arg(fcinfo, 1),
                                    description = text_arg(fcinfo, 2);
    const core::Scopes* scopes = PG_ARGISNULL(5) ? nullptr : pg::scopes_arg(fcinfo, 5);
    core::check_grant_row(kind, title, description, !PG_ARGISNULL(3), !PG_ARGISNULL(4), scopes);
    PG_RETURN_BOOL(true);
}
