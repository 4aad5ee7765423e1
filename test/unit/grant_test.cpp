// What a token may be granted (src/core/grant.h): issue()'s rules, and the row rules the table
// checks too.
#include <gtest/gtest.h>

#include <string>

#include "error.h"
#include "grant.h"
#include "json_text.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = [] {
        PermissionCatalog b = PermissionCatalog::builtin();
        return b;
    }();
    return c;
}

struct Fixture {
    Scopes scopes = cat().parse("{usage:report}");
    GrantRequest request(std::string_view title = "CI token") {
        GrantRequest r;
        r.has_organization = true;
        r.title = title;
        r.kind = "organization";
        r.scopes = &scopes;
        return r;
    }
};

// The message of the error validate_grant() throws ("" when it accepts), and its kind in *kind.
std::string refusal(const GrantRequest& r, ErrorKind* kind = nullptr) {
    try {
        validate_grant(r, cat());
    } catch (const Error& e) {
        if (kind) *kind = e.kind();
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Grant, TitlesAndDescriptions) {
    Fixture f;
    EXPECT_EQ(refusal(f.request("ab")), "");
    EXPECT_EQ(refusal(f.request(std::string(100, 'a'))), "");
    EXPECT_EQ(refusal(f.request("a")), "invalid token title");
    EXPECT_EQ(refusal(f.request(std::string(101, 'a'))), "invalid token title");
    EXPECT_EQ(refusal(f.request("no/slash")), "invalid token title");
    EXPECT_EQ(refusal(f.request("tab\there")), "invalid token title");
    // trimmed as JavaScript trims (Hive's zod .trim()), then checked
    EXPECT_EQ(refusal(f.request("  ab\n")), "");
    EXPECT_EQ(validate_grant(f.request(" \xc2\xa0" "ab cd" "\xe3\x80\x80"), cat()).title, "ab cd");
    EXPECT_EQ(refusal(f.request(" a ")), "invalid token title");
    EXPECT_EQ(refusal(f.request("  ")), "invalid token title");
    GrantRequest r = f.request();
    r.title.reset();
    EXPECT_EQ(refusal(r), "invalid token title");
    // at most 248 characters as JavaScript counts them (UTF-16 code units): "é" is one, an emoji two
    r = f.request();
    std::string emoji;
    for (int i = 0; i < 124; ++i) emoji += "\xf0\x9f\x98\x80";
    r.description = emoji;
    EXPECT_EQ(refusal(r), "");
    emoji += "x";
    r.description = emoji;
    EXPECT_EQ(refusal(r), "token description is too long");
    std::string d;
    for (int i = 0; i < 248; ++i) d += "\xc3\xa9";
    r = f.request();
    r.description = d;
    EXPECT_EQ(refusal(r), "");
    d += "x";
    r.description = d;
    EXPECT_EQ(refusal(r), "token description is too long");
}

TEST(Grant, KindsAndOwners) {
    Fixture f;
    GrantRequest r = f.request();
    r.kind = "team";
    EXPECT_EQ(refusal(r), "invalid token kind");
    r.kind.reset();
    EXPECT_EQ(refusal(r), "invalid token kind");
    r = f.request();
    r.kind = "project";
    EXPECT_EQ(refusal(r), "a project token needs a project");
    r.project = Uuid{};
    EXPECT_EQ(refusal(r), "");
    r = f.request();
    r.kind = "personal";
    EXPECT_EQ(refusal(r), "a personal token needs a user_id");
    r.has_user = true;
    EXPECT_EQ(refusal(r), "");
    // a kind holds only its own ids (Hive tells the kind from them)
    r.project = Uuid{};
    EXPECT_EQ(refusal(r), "only a project token names a project");
    r = f.request();
    r.has_user = true;
    EXPECT_EQ(refusal(r), "only a personal token names a user");
    r = f.request();
    r.has_organization = false;
    ErrorKind kind = ErrorKind::Internal;
    EXPECT_EQ(refusal(r, &kind), "organization must not be null");
    EXPECT_EQ(kind, ErrorKind::NullValue);
}

TEST(Grant, Permissions) {
    Fixture f;
    auto with = [&](const char* literal, const char* kind = "organization") {
        static Scopes s;
        s = cat().parse(literal);
        GrantRequest r = f.request();
        r.scopes = &s;
        r.kind = kind;
        if (std::string_view(kind) == "project") r.project = Uuid{};
        return refusal(r);
    };
    EXPECT_EQ(with("{}"), "a token needs at least one permission");
    EXPECT_EQ(with("{billing:update}"), "permissions not assignable to access tokens: {billing:update}");
    EXPECT_EQ(with("{member:modify}"), "the permissions lack what they depend on: {member:describe}");
    EXPECT_EQ(with("{project:delete}"), "the permissions lack what they depend on: {project:describe}");
    EXPECT_EQ(with("{project:delete,project:describe}"), "");
    EXPECT_EQ(with("{member:describe,usage:report}", "project"),
              "a project token cannot hold organization permissions: {member:describe}");
    GrantRequest r = f.request();
    r.scopes = nullptr;
    EXPECT_EQ(refusal(r), "a token needs at least one permission");
}

TEST(Grant, ResourcesAndExpiry) {
    Fixture f;
    GrantRequest r = f.request();
    Grant g = validate_grant(r, cat());
    EXPECT_TRUE(g.resources.all);  // no resources: everything
    json::Value bad = json::parse(R"({"mode": "granular"})");
    r.resources = &bad;
    EXPECT_NE(refusal(r).find("missing \"projects\""), std::string::npos);
    // a project token stores its project in granular form
    r = f.request();
    r.kind = "project";
    Uuid p{};
    p.b[0] = 7;
    r.project = p;
    g = validate_grant(r, cat());
    ASSERT_FALSE(g.resources.all);
    ASSERT_EQ(g.resources.projects.size(), 1u);
    EXPECT_EQ(g.resources.projects[0].id, p);
    EXPECT_EQ(g.kind, TokenKind::Project);
    // expiry: strictly in the future
    r = f.request();
    r.now = 1000;
    r.expires_at = 1000;
    EXPECT_EQ(refusal(r), "expires_at must be in the future");
    r.expires_at = 1001;
    EXPECT_EQ(refusal(r), "");
}

TEST(Grant, RowRulesAlone) {
    Scopes one = cat().parse("{usage:report}");
    EXPECT_EQ(check_grant_row("personal", "ok title", std::nullopt, false, true, &one), TokenKind::Personal);
    EXPECT_THROW(check_grant_row("personal", "ok title", std::nullopt, false, false, &one), Error);
    EXPECT_THROW(check_grant_row("organization", "ok title", std::nullopt, false, false, nullptr), Error);
}
