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

// The length JavaScript gives UTF-8 text: UTF-16 code units (two for a code point beyond U+FFFF).
std::size_t utf16_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if ((u & 0xC0) != 0x80) n += u >= 0xF0 ? 2 : 1;
    }
    return n;
}

// JavaScript's whitespace (ECMAScript WhiteSpace and LineTerminator), as UTF-8.
std::size_t whitespace_at(std::string_view s, std::size_t i) noexcept {
    static const char* const kSpaces[] = {"\t", "\n", "\v", "\f", "\r", " ", "\xc2\xa0", "\xe1\x9a\x80",
                                          "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83",
                                          "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
                                          "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8",
                                          "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
                                          "\xef\xbb\xbf"};
    for (const char* w : kSpaces) {
        std::string_view ws(w);
        if (s.substr(i, ws.size()) == ws) return ws.size();
    }
    return 0;
}

}  // namespace

std::string_view trim_like_javascript(std::string_view s) noexcept {
    std::size_t n;
    while (!s.empty() && (n = whitespace_at(s, 0)) != 0) s.remove_prefix(n);
    bool trimmed = true;
    while (!s.empty() && trimmed) {
        trimmed = false;
        for (std::size_t len = 1; len <= 3 && len <= s.size(); ++len)
            if (whitespace_at(s, s.size() - len) == len) {
                s.remove_suffix(len);
                trimmed = true;
                break;
            }
    }
    return s;
}

namespace {

void check_title(std::string_view title) {
    if (title.size() < 2 || title.size() > 100 || std::find_if_not(title.begin(), title.end(), title_character) != title.end())
        refuse("invalid token title", "A title is 2 to 100 characters of letters, digits, spaces, \"_\" and \"-\".");
}

std::size_t code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

void check_ids(TokenKind k, bool has_project, bool has_user) {
    if (k == TokenKind::Project && !has_project) refuse("a project token needs a project");
    if (k == TokenKind::Personal && !has_user) refuse("a personal token needs a user_id");
    if (k != TokenKind::Project && has_project)
        refuse("only a project token names a project", "Hive tells a token's kind from the ids it holds.");
    if (k != TokenKind::Personal && has_user)
        refuse("only a personal token names a user", "Hive tells a token's kind from the ids it holds.");
}

TokenKind kind_of(std::optional<std::string_view> kind) {
    TokenKind k;
    if (!kind || !kind_from_name(kind->data(), kind->size(), &k))
        refuse("invalid token kind", "", "The kind is one of organization, project, personal.");
    return k;
}

}  // namespace

TokenKind check_grant_row(std::optional<std::string_view> kind, std::optional<std::string_view> title,
                          std::optional<std::string_view> description, bool has_project, bool has_user,
                          const Scopes* scopes) {
    if (!title) refuse("invalid token title", "A title is 2 to 100 characters of letters, digits, spaces, \"_\" and \"-\".");
    check_title(*title);
    if (description && code_points(*description) > 248)
        refuse("token description is too long",
               "A description has at most 248 characters; this one has " + std::to_string(code_points(*description)) + ".");
    TokenKind k = kind_of(kind);
    check_ids(k, has_project, has_user);
    if (scopes == nullptr || scopes->count() == 0) refuse("a token needs at least one permission");
    return k;
}

Grant validate_grant(const GrantRequest& r, const PermissionCatalog& cat) {
    if (!r.has_organization) throw Error(ErrorKind::NullValue, "organization must not be null");
    // Hive's rules: trimmed first, then a description counted in UTF-16 code units.
    Grant g;
    if (!r.title) refuse("invalid token title", "A title is 2 to 100 characters of letters, digits, spaces, \"_\" and \"-\".");
    g.title = trim_like_javascript(*r.title);
    check_title(g.title);
    if (r.description) {
        g.description = trim_like_javascript(*r.description);
        if (utf16_length(*g.description) > 248)
            refuse("token description is too long", "A description has at most 248 characters (as Hive counts them, in "
                                                     "UTF-16 code units); this one has " +
                                                         std::to_string(utf16_length(*g.description)) + ".");
    }
    g.kind = kind_of(r.kind);
    check_ids(g.kind, r.project.has_value(), r.has_user);
    if (r.scopes == nullptr || r.scopes->count() == 0) refuse("a token needs at least one permission");
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
