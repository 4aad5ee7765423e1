#include "grant.h"

#include <algorithm>
#include <string>

#include "error.h"

namespace hive_tokens::core {

namespace {

[[noreturn]] void refuse(const std::string& message, const std::string& detail = {}, const std::string& hint = {}) {
    throw Error(ErrorKind::InvalidParameterValue, message, detail, hint);
}

bool title_character(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
           c == '-';
}

// Characters of UTF-8 text (the database encoding): bytes that do not continue a sequence.
std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace

TokenKind check_grant_row(std::optional<std::string_view> kind, std::optional<std::string_view> title,
                          std::optional<std::string_view> description, bool has_project, bool has_user,
                          const Scopes* scopes) {
    if (!title || title->size() < 2 || title->size() > 100 ||
        std::find_if_not(title->begin(), title->end(), title_character) != title->end())
        refuse("invalid token title", "A title is 2 to 100 characters of letters, digits, spaces, \"_\" and \"-\".");
    if (description && utf8_length(*description) > 248)
        refuse("token description is too long", "A description has at most 248 characters; this one has " +
                                                     std::to_string(utf8_length(*description)) + ".");
    TokenKind k;
    if (!kind || !kind_from_name(kind->data(), kind->size(), &k))
        refuse("invalid token kind", "", "The kind is one of organization, project, personal.");
    if (k == TokenKind::Project && !has_project) refuse("a project token needs a project");
    if (k == TokenKind::Personal && !has_user) refuse("a personal token needs a user_id");
    if (scopes == nullptr || scopes->count() == 0) refuse("a token needs at least one permission");
    return k;
}

Grant validate_grant(const GrantRequest& r, const PermissionCatalog& cat) {
    if (!r.has_organization) throw Error(ErrorKind::NullValue, "organization must not be null");
    Grant g{check_grant_row(r.kind, r.title, r.description, r.project.has_value(), r.has_user, r.scopes), {}};
    const Scopes& scopes = *r.scopes;
    if (Scopes bad = scopes & cat.retired(); bad.count() > 0)
        refuse("retired permissions cannot be granted: " + cat.format(bad));
    if (Scopes bad = scopes - cat.assignable(); bad.count() > 0)
        refuse("permissions not assignable to access tokens: " + cat.format(bad), "",
               "SELECT hive_tokens.assignable_scopes() lists the ones a token may hold.");
    if (g.kind == TokenKind::Project) {
        if (Scopes bad = scopes & cat.of_level(Level::Organization); bad.count() > 0)
            refuse("a project token cannot hold organization permissions: " + cat.format(bad));
    }
    if (Scopes bad = cat.missing_dependencies(scopes); bad.count() > 0)
        refuse("the permissions lack what they depend on: " + cat.format(bad), "",
               "Add them, or pass hive_tokens.depends_closure(scopes).");
    g.resources = r.resources ? parse_assignment(*r.resources) : Assignment::everything();
    if (g.kind == TokenKind::Project) g.resources = project_token_grant(g.resources, *r.project);
    if (r.expires_at && *r.expires_at <= r.now) refuse("expires_at must be in the future");
    return g;
}

}  // namespace hive_tokens::core
