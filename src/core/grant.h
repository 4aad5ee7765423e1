// What a token may be granted: every rule issue() applies, in one place (Hive's rules where Hive
// has them: title, description, assignable permissions, project tokens; ours besides: no retired
// permission, dependencies present, a validated resource assignment, a future expiry).
#pragma once
#include "core_guard.h"

#include <cstdint>
#include <optional>
#include <string_view>

#include "assignment.h"
#include "json.h"
#include "permission_catalog.h"
#include "scopes.h"
#include "token_codec.h"
#include "uuid.h"

namespace hive_tokens::core {

// Hive trims titles and descriptions (JavaScript's String.prototype.trim) before it checks them,
// and stores them trimmed.
std::string_view trim_like_javascript(std::string_view s) noexcept;

// The rules a stored token row satisfies whatever the permission catalog says (the table's
// CHECK constraint runs them), as loose as every release stored them: the kind is organization,
// project or personal and holds only its own id (a project token its project, a personal one its
// user); the title is 2 to 100 characters of letters, digits, spaces, "_" and "-"; the
// description at most 248 characters; at least one permission. Throws
// Error(InvalidParameterValue) with issue()'s messages; returns the kind.
TokenKind check_grant_row(std::optional<std::string_view> kind, std::optional<std::string_view> title,
                          std::optional<std::string_view> description, bool has_project, bool has_user,
                          const Scopes* scopes);

struct GrantRequest {
    bool has_organization = false;
    std::optional<std::string_view> title, description, kind;
    const Scopes* scopes = nullptr;            // nullptr: NULL
    const json::Value* resources = nullptr;    // nullptr: {"mode": "*"}
    std::optional<Uuid> project;
    bool has_user = false;
    std::optional<std::int64_t> expires_at;    // on the caller's clock, as `now`
    std::int64_t now = 0;
};

struct Grant {
    TokenKind kind;
    std::string_view title;                   // trimmed (a view of the request's title)
    std::optional<std::string_view> description;  // trimmed
    Assignment resources;  // normalized; a project token's in Hive's granular form
};

// Every rule of issue(), in the order it reports them: the row rules, stricter where Hive is
// (title and description trimmed first, a description counted in UTF-16 code units), and the
// catalog's. Throws Error(NullValue) for a NULL organization, Error(InvalidParameterValue) for
// anything else.
Grant validate_grant(const GrantRequest& request, const PermissionCatalog& cat);

}  // namespace hive_tokens::core
