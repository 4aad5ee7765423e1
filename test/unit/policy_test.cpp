#include <gtest/gtest.h>
#include <sodium.h>

#include <functional>
#include <string>

#include "assignment.h"
#include "error.h"
#include "hrn.h"
#include "json.h"
#include "json_text.h"
#include "permission_catalog.h"
#include "policy.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = PermissionCatalog::builtin();
    return c;
}

const char* A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const char* B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
const char* C = "cccccccc-cccc-cccc-cccc-cccccccccccc";
const char* D = "dddddddd-dddd-dddd-dddd-dddddddddddd";

Uuid U(const char* s) {
    Uuid u;
    EXPECT_TRUE(parse_uuid(s, &u)) << s;
    return u;
}

std::string hrn_error(const std::string& text) {
    try {
        parse_hrn(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidTextRepresentation);
        return e.what();
    }
    return "";
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Evaluates with both the reference and the compiled policy and checks they agree.
bool allowed(const std::string& statements_json, const char* action, const char* org, const char* params_org,
             const char* project = nullptr, const char* target = nullptr, const char* service = nullptr,
             const char* app = nullptr) {
    std::vector<Statement> st = parse_statements(statements_json, cat());
    Uuid o = U(org), po = U(params_org), p = project ? U(project) : Uuid{}, t = target ? U(target) : Uuid{};
    std::string s = service ? service : "", a = app ? app : "";
    Request r = make_request(*cat().find(action), o, &po, project ? &p : nullptr, target ? &t : nullptr,
                             service ? &s : nullptr, app ? &a : nullptr);
    bool ref = evaluate_reference(st, r);
    EXPECT_EQ(ref, CompiledPolicy(st, cat()).check(r)) << statements_json << " " << action;
    return ref;
}

std::string stmt(const char* effect, const std::string& action_json, const std::string& resource_json) {
    return std::string("{\"effect\": \"") + effect + "\", \"action\": " + action_json + ", \"resource\": " + resource_json + "}";
}

std::string q(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

TEST(Json, ParsesAndRejects) {
    json::Value v = json::parse(R"( {"a": [1, -2.5e3, true, false, null, "x\u00e9\n"], "b": {}} )");
    ASSERT_TRUE(v.is(json::Value::Type::Object));
    EXPECT_EQ(v.get("a")->items.size(), 6u);
    EXPECT_EQ(v.get("a")->items[5].text, "x\xc3\xa9\n");
    EXPECT_EQ(json::to_string(v), "{\"a\": [1, -2.5e3, true, false, null, \"x\xc3\xa9\\n\"], \"b\": {}}");
    EXPECT_EQ(json::to_string(json::parse(R"("\ud83d\ude00")")), "\"\xf0\x9f\x98\x80\"");
    for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "\"\\ud800\"", "01x", "[1] 2", "\"a\nb\"",
                            "\"\\u0000\""})
        EXPECT_THROW(json::parse(bad), Error) << bad;
    std::string deep(json::kMaxDepth + 1, '[');
    deep += std::string(json::kMaxDepth + 1, ']');
    EXPECT_NE(error_of([&] { json::parse(deep); }).find("nesting deeper than"), std::string::npos);
    std::string ok(json::kMaxDepth - 1, '[');
    ok += std::string(json::kMaxDepth - 1, ']');
    EXPECT_NO_THROW(json::parse(ok));
}

TEST(Hrn, ParsesHivesForms) {
    std::string o = A;
    for (const std::string& s : std::vector<std::string>{"hrn:" + o + ":organization/" + o, "hrn:*:organization/*", "hrn:" + o + ":*", "hrn:*:*",
          "hrn:" + o + ":project/" + std::string(B), "hrn:" + o + ":project/*", "hrn:" + o + ":target/" + std::string(C),
          "hrn:" + o + ":target/" + std::string(C) + "/*", "hrn:" + o + ":target/" + std::string(C) + "/service/products",
          "hrn:" + o + ":target/" + std::string(C) + "/service/*",
          "hrn:" + o + ":target/" + std::string(C) + "/appDeployment/my-app",
          "hrn:" + o + ":target/*/service/products", "hrn:" + o + ":organization/" + o + "/*"})
        EXPECT_EQ(parse_hrn(s).text(), s);
    // upper-case UUIDs are canonicalised
    EXPECT_EQ(parse_hrn("hrn:AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA:*").text(), "hrn:" + o + ":*");
}

TEST(Hrn, SaysWhichPartIsWrong) {
    std::string o = A;
    EXPECT_NE(hrn_error("urn:" + o + ":*").find("must start with \"hrn:\""), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o).find("expected \"hrn:<organization id or *>:<resource>\""), std::string::npos);
    EXPECT_NE(hrn_error("hrn:nope:*").find("organization part must be a UUID or *"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":").find("resource path is empty"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":team/" + o).find("unknown resource type \"team\""), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":project/123").find("expected a UUID or * after \"project/\""), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":project").find("expected \"project/<id>\""), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":project/" + o + "/service/x").find("only \"*\" may follow"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":target/" + o + "/schema/x").find("expected \"service\", \"appDeployment\""),
              std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":target/" + o + "/service").find("expected a name after"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":target/" + o + "/service/a/b").find("nothing may follow"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":target/" + o + "/service/a:b").find("':' is not allowed"), std::string::npos);
    EXPECT_NE(hrn_error("hrn:" + o + ":target/" + o + "/service/" + std::string(201, 'x')).find("invalid service name"),
              std::string::npos);
}

TEST(Hrn, PathMatchingIsHives) {
    EXPECT_TRUE(path_matches("*", "organization/x"));
    EXPECT_TRUE(path_matches("organization/*", "organization/x"));
    EXPECT_TRUE(path_matches("organization/*", "organization"));  // empty remainder
    EXPECT_TRUE(path_matches("target/t/*", "target/t/service/s"));
    EXPECT_TRUE(path_matches("target/t", "target/t"));
    EXPECT_FALSE(path_matches("target/t", "target/t/service/s"));
    EXPECT_FALSE(path_matches("target/t/service/s", "target/t"));
    EXPECT_FALSE(path_matches("target/*/service/s", "target/t/service/s"));  // non-final * is literal
    EXPECT_TRUE(path_matches("target/*/service/s", "target/*/service/s"));
    EXPECT_FALSE(path_matches("project/p", "organization/p"));
    Hrn pat = parse_hrn(std::string("hrn:*:project/*")), res = parse_hrn(std::string("hrn:") + A + ":project/" + B);
    EXPECT_TRUE(hrn_matches(pat, res));
    EXPECT_FALSE(hrn_matches(res, pat));
}

// Hive's own evaluator tests (authz.spec.ts), translated.
TEST(Evaluate, HivesSpecCases) {
    const std::string a = A, b = B, c = C;
    EXPECT_FALSE(allowed("[]", "organization:describe", A, A));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:" + a + ":organization/" + b)) + "]",
                        "organization:describe", A, B));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:" + a + ":organization/*")) + "]",
                        "organization:describe", A, B));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:*:organization/" + b)) + "]",
                        "organization:describe", A, B));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:*:organization/*")) + "]",
                        "organization:describe", A, B));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:" + a + ":*")) + "]",
                        "organization:describe", A, B));
    EXPECT_FALSE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:" + c + ":*")) + "]",
                         "organization:describe", A, B));
    EXPECT_FALSE(allowed("[" + stmt("allow", q("organization:describe"), q("hrn:*:*")) + ", " +
                             stmt("deny", q("organization:describe"), q("hrn:*:*")) + "]",
                         "organization:describe", A, B));
    std::string org_allow_project_deny = "[" + stmt("allow", q("project:describe"), "[" + q("hrn:" + a + ":organization/" + a) + "]") +
                                         ", " + stmt("deny", q("project:describe"), "[" + q("hrn:" + a + ":project/" + c) + "]") + "]";
    EXPECT_TRUE(allowed(org_allow_project_deny, "project:describe", A, A, B));
    EXPECT_FALSE(allowed(org_allow_project_deny, "project:describe", A, A, C));
}

TEST(Evaluate, EveryBranch) {
    const std::string a = A, t = C;
    // service grants apply to calls naming that service; a call without a service name is
    // checked on the target only
    std::string svc = "[" + stmt("allow", q("schemaVersion:publish"), q("hrn:" + a + ":target/" + t + "/service/products")) + "]";
    EXPECT_TRUE(allowed(svc, "schemaVersion:publish", A, A, B, C, "products"));
    EXPECT_FALSE(allowed(svc, "schemaVersion:publish", A, A, B, C, "reviews"));
    EXPECT_FALSE(allowed(svc, "schemaVersion:publish", A, A, B, C));
    std::string target_grant = "[" + stmt("allow", q("schemaVersion:publish"), q("hrn:" + a + ":target/" + t)) + "]";
    EXPECT_TRUE(allowed(target_grant, "schemaVersion:publish", A, A, B, C));
    EXPECT_TRUE(allowed(target_grant, "schemaVersion:publish", A, A, B, C, "anything"));
    // app deployments
    std::string app = "[" + stmt("allow", q("appDeployment:create"), q("hrn:" + a + ":target/" + t + "/appDeployment/web")) + "]";
    EXPECT_TRUE(allowed(app, "appDeployment:create", A, A, B, C, nullptr, "web"));
    EXPECT_FALSE(allowed(app, "appDeployment:create", A, A, B, C, nullptr, "ios"));
    EXPECT_FALSE(allowed(app, "appDeployment:create", A, A, B, C));
    std::string any_app = "[" + stmt("allow", q("appDeployment:*"), q("hrn:" + a + ":target/" + t + "/appDeployment/*")) + "]";
    EXPECT_TRUE(allowed(any_app, "appDeployment:retire", A, A, B, C, nullptr, "ios"));
    EXPECT_FALSE(allowed(any_app, "appDeployment:retire", A, A, B, C));  // no app named: chain ends at the target
    // * in a non-final segment is literal
    std::string literal = "[" + stmt("allow", q("schemaVersion:publish"), q("hrn:" + a + ":target/*/service/products")) + "]";
    EXPECT_FALSE(allowed(literal, "schemaVersion:publish", A, A, B, C, "products"));
    // action wildcards
    std::string scope_wild = "[" + stmt("allow", q("schemaCheck:*"), q("hrn:" + a + ":*")) + "]";
    EXPECT_TRUE(allowed(scope_wild, "schemaCheck:approve", A, A, B, C));
    EXPECT_FALSE(allowed(scope_wild, "schemaVersion:publish", A, A, B, C));
    EXPECT_TRUE(allowed("[" + stmt("allow", q("*"), q("hrn:" + a + ":*")) + "]", "billing:update", A, A));
    // "*:<id>": every action with that id, whatever its scope (Hive's superadmin policy)
    std::string any_describe = "[" + stmt("allow", q("*:describe"), q("hrn:" + a + ":*")) + "]";
    EXPECT_TRUE(allowed(any_describe, "project:describe", A, A, B));
    EXPECT_TRUE(allowed(any_describe, "organization:describe", A, A));
    EXPECT_TRUE(allowed(any_describe, "member:describe", A, A));
    EXPECT_FALSE(allowed(any_describe, "project:delete", A, A, B));
    EXPECT_FALSE(allowed(any_describe, "schemaCheck:approve", A, A, B, C));
    // ... and in a deny: everything but describing
    std::string deny_describe = "[" + stmt("allow", q("*"), q("hrn:" + a + ":*")) + ", " +
                                stmt("deny", q("*:describe"), q("hrn:" + a + ":project/" + std::string(B))) + "]";
    EXPECT_FALSE(allowed(deny_describe, "project:describe", A, A, B));
    EXPECT_TRUE(allowed(deny_describe, "project:describe", A, A, D));
    EXPECT_TRUE(allowed(deny_describe, "project:delete", A, A, B));
    EXPECT_TRUE(allowed(deny_describe, "organization:describe", A, A));  // the deny is on a project only
    // resource arrays and several actions in one statement
    std::string multi = "[" + stmt("allow", "[\"usage:report\", \"traces:report\"]",
                                   "[" + q("hrn:" + a + ":project/" + std::string(D)) + ", " + q("hrn:" + a + ":target/" + t) + "]") + "]";
    EXPECT_TRUE(allowed(multi, "traces:report", A, A, B, C));
    EXPECT_TRUE(allowed(multi, "usage:report", A, A, D, "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"));
    EXPECT_FALSE(allowed(multi, "usage:report", A, A, B, "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"));
    EXPECT_FALSE(allowed(multi, "schema:compose", A, A, B, C));
    // deny wins whatever the order
    std::string deny_first = "[" + stmt("deny", q("usage:*"), q("hrn:" + a + ":target/" + t)) + ", " +
                             stmt("allow", q("*"), q("hrn:*:*")) + "]";
    EXPECT_FALSE(allowed(deny_first, "usage:report", A, A, B, C));
    EXPECT_TRUE(allowed(deny_first, "traces:report", A, A, B, C));
    // a deny that does not apply to this resource does not deny
    EXPECT_TRUE(allowed(deny_first, "usage:report", A, A, B, D));
    // an empty resource list applies nowhere (docs/authorization.md, "Empty resource lists")
    EXPECT_FALSE(allowed("[" + stmt("allow", q("*"), "[]") + "]", "organization:describe", A, A));
    // another organization
    EXPECT_FALSE(allowed("[" + stmt("allow", q("*"), q("hrn:" + a + ":*")) + "]", "organization:describe", C, C));
    // retired (legacy) actions still have their level
    EXPECT_TRUE(allowed("[" + stmt("allow", q("member:*"), q("hrn:" + a + ":organization/" + a)) + "]", "member:assignRole", A, A));
}

TEST(Evaluate, BadInput) {
    auto err = [](const std::string& j) { return error_of([&] { parse_statements(j, cat()); }); };
    EXPECT_NE(err("{}").find("expected an array of statements"), std::string::npos);
    EXPECT_NE(err("[1]").find("$[0]: expected an object"), std::string::npos);
    EXPECT_NE(err("[{\"action\": \"*\", \"resource\": \"hrn:*:*\"}]").find("$[0].effect"), std::string::npos);
    EXPECT_NE(err("[{\"effect\": \"allow\", \"resource\": \"hrn:*:*\"}]").find("missing \"action\""), std::string::npos);
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": \"usage:reprot\", \"resource\": \"hrn:*:*\"}]").find("did you mean \"usage:report\""),
              std::string::npos);
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": \"nope:*\", \"resource\": \"hrn:*:*\"}]").find("no permission belongs to"),
              std::string::npos);
    // "*:<id>" must name the id of a known permission: Hive would silently never match a typo
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": \"*:descibe\", \"resource\": \"hrn:*:*\"}]")
                  .find("no permission has the action id \"descibe\""),
              std::string::npos);
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": \"*:*\", \"resource\": \"hrn:*:*\"}]").find("no permission has the action id"),
              std::string::npos);
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": \"*:describe:x\", \"resource\": \"hrn:*:*\"}]").find("with one \":\""),
              std::string::npos);
    EXPECT_NO_THROW(parse_statements("[{\"effect\": \"deny\", \"action\": [\"*:describe\", \"*:modify\"], \"resource\": \"hrn:*:*\"}]", cat()));
    EXPECT_NE(err("[{\"effect\": \"allow\", \"action\": [1], \"resource\": \"hrn:*:*\"}]").find("$[0].action[0]: expected a string"),
              std::string::npos);
    EXPECT_NE(error_of([&] { parse_statements("[{\"effect\": \"allow\", \"action\": \"*\", \"resource\": \"urn:x\"}]", cat()); })
                  .find("must start with \"hrn:\""),
              std::string::npos);
    // a request missing what the level needs
    EXPECT_NE(error_of([&] { make_request(*cat().find("project:describe"), U(A), nullptr, nullptr, nullptr, nullptr, nullptr); })
                  .find("needs a project id"),
              std::string::npos);
    EXPECT_EQ(denial_message("usage:report"), "Missing permission for performing 'usage:report' on resource");
}

TEST(Assignment, ParseNormalizeAndErrors) {
    std::string a = A, b = B, c = C, d = D;
    Assignment all = parse_assignment(R"({"mode": "*", "projects": []})");  // Hive stores this too
    EXPECT_TRUE(all.all);
    EXPECT_EQ(json::to_string(to_json(all)), R"({"mode": "*"})");
    std::string granular = R"({"mode": "granular", "projects": [
        {"type": "project", "id": ")" + c + R"(", "targets": {"mode": "*"}},
        {"type": "project", "id": ")" + b + R"(", "targets": {"mode": "granular", "targets": [
            {"type": "target", "id": ")" + d + R"(", "services": {"mode": "granular", "services": [
                {"type": "service", "serviceName": "reviews"}, {"type": "service", "serviceName": "products"}]},
             "appDeployments": {"mode": "*"}, "extra": 1}]}}]})";
    Assignment g = parse_assignment(granular);
    EXPECT_EQ(json::to_string(to_json(g)),
              R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                  R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d +
                  R"(", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}, {"type": "service", "serviceName": "reviews"}]}, "appDeployments": {"mode": "*"}}]}}, {"type": "project", "id": ")" +
                  c + R"(", "targets": {"mode": "*"}}]})");
    // Hive lets "services" be missing or null: no services
    Assignment nosvc = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                                        R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d +
                                        R"(", "services": {"mode": "granular"}, "appDeployments": {"mode": "granular", "appDeployments": []}}]}}]})");
    EXPECT_TRUE(nosvc.projects[0].targets[0].services.names.empty());
    auto err = [](const std::string& j) { return error_of([&] { parse_assignment(j); }); };
    EXPECT_NE(err("[]").find("at $: expected an object"), std::string::npos);
    EXPECT_NE(err(R"({"mode": "some"})").find("$.mode: expected \"*\" or \"granular\""), std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular"})").find("missing \"projects\""), std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular", "projects": [{"type": "project", "id": "x", "targets": {"mode": "*"}}]})")
                  .find("$.projects[0].id: expected a UUID"),
              std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular", "projects": [{"type": "team", "id": ")" + b + R"(", "targets": {"mode": "*"}}]})")
                  .find("$.projects[0].type: expected \"project\""),
              std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                  R"(", "targets": {"mode": "*"}}, {"type": "project", "id": ")" + b + R"(", "targets": {"mode": "*"}}]})")
                  .find("duplicate project"),
              std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                  R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d +
                  R"(", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "a/b"}]}, "appDeployments": {"mode": "*"}}]}}]})")
                  .find("serviceName: expected a name"),
              std::string::npos);
    EXPECT_NE(err(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                  R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d + R"(", "services": {"mode": "*"}}]}}]})")
                  .find("missing \"appDeployments\""),
              std::string::npos);
    EXPECT_NE(err(R"({"mode": "*", "deny": [{"type": "org"}]})").find("$.deny[0].type"), std::string::npos);
}

TEST(Assignment, IntersectIsHives) {
    std::string b = B, c = C, d = D;
    Assignment all = Assignment::everything();
    Assignment g = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                                    R"(", "targets": {"mode": "*"}}, {"type": "project", "id": ")" + c + R"(", "targets": {"mode": "*"}}]})");
    Assignment h = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + c +
                                    R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d +
                                    R"(", "services": {"mode": "*"}, "appDeployments": {"mode": "granular", "appDeployments": [{"type": "appDeployment", "appName": "web"}]}}]}}], "deny": [{"type": "target", "id": ")" + d + R"("}]})");
    EXPECT_EQ(json::to_string(to_json(intersect(all, g))), json::to_string(to_json(g)));
    EXPECT_EQ(json::to_string(to_json(intersect(g, all))), json::to_string(to_json(g)));
    Assignment gh = intersect(g, h);
    ASSERT_EQ(gh.projects.size(), 1u);
    EXPECT_EQ(gh.projects[0].id, U(C));
    EXPECT_FALSE(gh.projects[0].all_targets);
    EXPECT_EQ(gh.projects[0].targets[0].app_deployments.names, std::vector<std::string>{"web"});
    EXPECT_EQ(gh.deny.size(), 1u);  // denies are united
    Assignment none = intersect(g, parse_assignment(R"({"mode": "granular", "projects": []})"));
    EXPECT_TRUE(none.projects.empty());
}

TEST(Resolve, MatchesHivesStatements) {
    std::string o = A, b = B, c = C, d = D;
    Scopes s = cat().parse("{member:describe,project:describe,usage:report,schemaVersion:publish,appDeployment:create}");
    EXPECT_EQ(json::to_string(statements_to_json(resolve(s, Assignment::everything(), U(A), cat()))),
              "[{\"action\": [\"member:describe\"], \"effect\": \"allow\", \"resource\": \"hrn:" + o + ":organization/" + o + "\"}, "
              "{\"action\": [\"project:describe\"], \"effect\": \"allow\", \"resource\": \"hrn:" + o + ":organization/" + o + "\"}, "
              "{\"action\": [\"usage:report\"], \"effect\": \"allow\", \"resource\": \"hrn:" + o + ":organization/" + o + "\"}, "
              "{\"action\": [\"schemaVersion:publish\"], \"effect\": \"allow\", \"resource\": \"hrn:" + o + ":organization/" + o + "\"}, "
              "{\"action\": [\"appDeployment:create\"], \"effect\": \"allow\", \"resource\": \"hrn:" + o + ":organization/" + o + "\"}]");
    Assignment g = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                                    R"(", "targets": {"mode": "*"}}, {"type": "project", "id": ")" + c +
                                    R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + d +
                                    R"(", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]}, "appDeployments": {"mode": "*"}}]}}], "deny": [{"type": "project", "id": ")" +
                                    b + R"("}]})");
    std::string got = json::to_string(statements_to_json(resolve(s, g, U(A), cat())));
    std::string h = "hrn:" + o + ":";
    EXPECT_EQ(got,
              "[{\"action\": [\"member:describe\"], \"effect\": \"allow\", \"resource\": \"" + h + "organization/" + o + "\"}, "
              "{\"action\": [\"project:describe\"], \"effect\": \"allow\", \"resource\": [\"" + h + "project/" + b + "\", \"" + h + "project/" + c + "\"]}, "
              "{\"action\": [\"usage:report\"], \"effect\": \"allow\", \"resource\": [\"" + h + "project/" + b + "\", \"" + h + "target/" + d + "\"]}, "
              "{\"action\": [\"schemaVersion:publish\"], \"effect\": \"allow\", \"resource\": [\"" + h + "project/" + b + "\", \"" + h + "target/" + d + "/service/products\"]}, "
              "{\"action\": [\"appDeployment:create\"], \"effect\": \"allow\", \"resource\": [\"" + h + "project/" + b + "\", \"" + h + "target/" + d + "\"]}, "
              "{\"action\": \"*\", \"effect\": \"deny\", \"resource\": [\"" + h + "project/" + b + "\"]}]");
    // and the resolved statements evaluate as expected
    std::string json = got;
    EXPECT_TRUE(allowed(json, "schemaVersion:publish", A, A, C, D, "products"));
    EXPECT_FALSE(allowed(json, "schemaVersion:publish", A, A, C, D, "reviews"));
    EXPECT_FALSE(allowed(json, "usage:report", A, A, B, "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee"));  // denied project
    EXPECT_TRUE(allowed(json, "member:describe", A, A));
}

// Project tokens as Hive keeps them: stored as the one project in granular form; a stored "*"
// grants nothing below the organization.
TEST(Assignment, ProjectTokens) {
    const std::string b = B, c = C;
    auto text = [](const Assignment& a) { return json::to_string(to_json(a)); };
    Assignment whole = project_token_grant(Assignment::everything(), U(B));
    EXPECT_EQ(text(whole), R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b + R"(", "targets": {"mode": "*"}}]})");
    Assignment own = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                                      R"(", "targets": {"mode": "granular", "targets": []}}], "deny": [{"type": "target", "id": ")" + c + R"("}]})");
    EXPECT_EQ(text(project_token_grant(own, U(B))), text(own));
    EXPECT_NE(error_of([&] { project_token_grant(own, U(C)); }).find("name another project"), std::string::npos);
    EXPECT_NE(error_of([&] { project_token_grant(parse_assignment(R"({"mode": "granular", "projects": []})"), U(B)); })
                  .find("must name its project"),
              std::string::npos);
    // reading a stored assignment back
    Assignment none = project_token_effective(Assignment::everything(), U(B));
    EXPECT_FALSE(none.all);
    EXPECT_TRUE(none.projects.empty());
    EXPECT_EQ(text(project_token_effective(whole, U(B))), text(whole));
    Assignment two = parse_assignment(R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + b +
                                      R"(", "targets": {"mode": "*"}}, {"type": "project", "id": ")" + c + R"(", "targets": {"mode": "*"}}]})");
    EXPECT_EQ(text(project_token_effective(two, U(B))), text(whole));
}

// The compiled form agrees with the reference on random statements and requests.
TEST(Compiled, AgreesWithReference) {
    ASSERT_GE(sodium_init(), 0);
    const char* ids[] = {A, B, C, D};
    const char* names[] = {"products", "reviews", "*"};
    const char* actions[] = {"*", "usage:report", "usage:*", "schemaVersion:publish", "schemaCheck:*", "project:describe",
                             "organization:describe", "appDeployment:create", "target:delete", "*:describe", "*:delete",
                             "*:create"};
    auto pick = [](int n) { return static_cast<int>(randombytes_uniform(static_cast<uint32_t>(n))); };
    auto random_hrn = [&]() {
        std::string org = pick(4) == 0 ? "*" : ids[pick(2)];
        std::string id = pick(5) == 0 ? "*" : ids[pick(4)];
        switch (pick(8)) {
            case 0: return "hrn:" + org + ":*";
            case 1: return "hrn:" + org + ":organization/" + id;
            case 2: return "hrn:" + org + ":project/" + id;
            case 3: return "hrn:" + org + ":target/" + id;
            case 4: return "hrn:" + org + ":target/" + id + "/*";
            case 5: return "hrn:" + org + ":target/" + id + "/service/" + names[pick(3)];
            case 6: return "hrn:" + org + ":target/" + id + "/appDeployment/" + names[pick(3)];
            default: return "hrn:" + org + ":project/" + id + "/*";
        }
    };
    const char* checked[] = {"usage:report", "schemaVersion:publish", "schemaCheck:approve", "project:describe",
                             "organization:describe", "appDeployment:create", "target:delete", "member:describe",
                             "project:delete", "laboratory:describe"};
    int allows = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string j = "[";
        int n = 1 + pick(4);
        for (int i = 0; i < n; ++i) {
            if (i) j += ", ";
            std::string res = "[";
            int m = pick(4);
            for (int k = 0; k < m; ++k) res += (k ? ", " : "") + q(random_hrn());
            res += "]";
            j += stmt(pick(5) == 0 ? "deny" : "allow", q(actions[pick(12)]), res);
        }
        j += "]";
        std::vector<Statement> st = parse_statements(j, cat());
        CompiledPolicy compiled(st, cat());
        for (int k = 0; k < 10; ++k) {
            const Permission* p = cat().find(checked[pick(10)]);
            Uuid org = U(ids[pick(2)]), po = org, pr = U(ids[pick(4)]), tg = U(ids[pick(4)]);
            std::string svc = names[pick(2)];
            bool with_name = pick(2) == 0;
            Request r = make_request(*p, org, &po, &pr, &tg, with_name ? &svc : nullptr, with_name ? &svc : nullptr);
            bool ref = evaluate_reference(st, r);
            ASSERT_EQ(ref, compiled.check(r)) << j << " " << p->name;
            allows += ref;
        }
    }
    EXPECT_GT(allows, 1000);  // the random policies exercise both outcomes
}
