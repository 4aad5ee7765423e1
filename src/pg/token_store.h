// Token lookup shared by verify() and authenticate().
#pragma once
#include "../core/scopes.h"
#include "../core/uuid.h"
#include "../core/verification.h"
#include "pg_includes.h"

extern "C" {
#include "utils/guc.h"
#include "utils/jsonb.h"
}

namespace hive_tokens::pg {

// The parts of a live token's row that make a principal (plain data: palloc'd text).
struct TokenRow {
    core::Uuid id;
    core::Uuid organization;
    bool has_project;
    core::Uuid project;
    bool project_token;        // kind 'project' (its resources are read by Hive's rule)
    bool personal_token;       // kind 'personal' (its grants are intersected with its member's)
    bool has_user;             // a personal token's user
    core::Uuid user;
    core::Scopes scopes;
    Jsonb* resources;          // palloc'd copy
    bool layout_0_1;           // read from a database still at 0.1 (its project tokens stored "*")
};

// Looks a token up with verify()'s rules: Ok and *row filled for a live token, else why not.
core::Reason lookup_token(const char* s, std::size_t len, TokenRow* row);

// Whether the token with this id and organization has a live row now (not revoked, not expired),
// without its secret: for tickets, whose token was verified on the node that sealed them.
bool token_is_live(const core::Uuid& id, const core::Uuid& organization);

// hive_tokens.verify_cache_size: how many access_tokens rows each backend keeps (0: none).
extern int verify_cache_size;
void verify_cache_resized(int newval, void* extra);

// hive_tokens.legacy_tokens_until (superuser): the cut-over after which tokens in Hive's legacy
// form (hv<c>1/) are refused ("legacy_refused"); empty: accepted.
extern char* legacy_tokens_until;
bool legacy_until_check(char** newval, void** extra, GucSource source);
void legacy_until_assign(const char* newval, void* extra);

}  // namespace hive_tokens::pg
