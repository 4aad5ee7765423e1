// Token lookup shared by verify() and authenticate().
#pragma once
#include "../core/hrn.h"
#include "../core/scopes.h"
#include "pg_includes.h"

namespace hive_tokens::pg {

// The parts of a live token's row that make a principal (plain data: palloc'd text).
struct TokenRow {
    core::Uuid id;
    core::Uuid organization;
    bool has_project;
    core::Uuid project;
    char kind[16];             // "organization", "project", "personal"
    core::Scopes scopes;
    char* resources_json;      // palloc'd
};

// Looks a token up with verify()'s rules. Returns nullptr and fills *row for a live token,
// otherwise the verify_reason() word ("malformed", "unknown", "expired", ...).
const char* lookup_token(const char* s, std::size_t len, TokenRow* row);

}  // namespace hive_tokens::pg
