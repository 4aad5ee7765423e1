// No escalation (src/core/escalation.h): the representative-request decision against a brute
// force over a larger universe, on random issuer/grant pairs; and named cases.
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "escalation.h"
#include "json_text.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = PermissionCatalog::builtin();
    return c;
}

const char* kOrg = "00000000-0000-4000-8000-0000000000aa";
const char* kProjects[] = {"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
                           "00000000-0000-4000-8000-000000000003"};  // the third is never named
const char* kTargets[] = {"00000000-0000-4000-8000-000000000011", "00000000-0000-4000-8000-000000000012",
                          "00000000-0000-4000-8000-000000000013"};
const char* kNames[] = {"a", "b", "c"};  // "c" is never named

Uuid U(const char* s) {
    Uuid u;
    EXPECT_TRUE(parse_uuid(s, &u));
    return u;
}

int pick(int n) { return static_cast<int>(randombytes_uniform(static_cast<uint32_t>(n))); }

std::string names_json(const char* key, const char* item, const char* field) {
    if (pick(2) == 0) return std::string("{\"mode\": \"*\"}");
    std::string j = std::string("{\"mode\": \"granular\", \"") + key + "\": [";
    bool any = false;
    for (int i = 0; i < 2; ++i)
        if (pick(2) == 0) {
            j += std::string(any ? ", " : "") + "{\"type\": \"" + item + "\", \"" + field + "\": \"" + kNames[i] + "\"}";
            any = true;
        }
    return j + "]}";
}

// A random assignment over two projects, two targets and two names, with a random deny list.
std::string random_assignment() {
    std::string j;
    if (pick(3) == 0) {
        j = "{\"mode\": \"*\"";
    } else {
        j = "{\"mode\": \"granular\", \"projects\": [";
        bool anyp = false;
        for (int p = 0; p < 2; ++p) {  // target t belongs to project t
            if (pick(2)) continue;
            j += std::string(anyp ? ", " : "") + "{\"type\": \"project\", \"id\": \"" + kProjects[p] + "\", \"targets\": ";
            anyp = true;
            if (pick(2) == 0) {
                j += "{\"mode\": \"*\"}}";
                continue;
            }
            j += "{\"mode\": \"granular\", \"targets\": [";
            bool anyt = false;
            for (int t = p; t <= p; ++t) {
                if (pick(3) == 0) continue;
                j += std::string(anyt ? ", " : "") + "{\"type\": \"target\", \"id\": \"" + kTargets[t] + "\", \"services\": " +
                     names_json("services", "service", "serviceName") + ", \"appDeployments\": " +
                     names_json("appDeployments", "appDeployment", "appName") + "}";
                anyt = true;
            }
            j += "]}}";
        }
        j += "]";
    }
    if (pick(3) == 0) {
        j += ", \"deny\": [";
        switch (pick(4)) {
            case 0: j += std::string("{\"type\": \"project\", \"id\": \"") + kProjects[pick(2)] + "\"}"; break;
            case 1: j += std::string("{\"type\": \"target\", \"id\": \"") + kTargets[pick(2)] + "\"}"; break;
            case 2: j += std::string("{\"type\": \"service\", \"targetId\": \"") + kTargets[pick(2)] + "\", \"serviceName\": \"" + kNames[pick(2)] + "\"}"; break;
            default: j += std::string("{\"type\": \"appDeployment\", \"targetId\": \"") + kTargets[pick(2)] + "\", \"appName\": \"" + kNames[pick(2)] + "\"}"; break;
        }
        j += "]";
    }
    return j + "}";
}

Scopes random_scopes() {
    const char* names[] = {"organization:describe", "project:describe", "target:delete", "usage:report",
                           "schemaVersion:publish", "schemaCheck:approve", "appDeployment:create", "appDeployment:retire"};
    Scopes s = Scopes::none();
    for (const char* n : names)
        if (pick(2) == 0) s.set(cat().find(n)->bit);
    return s;
}

bool lists(const Assignment& a, const Uuid& target) {
    for (const ProjectAssignment& p : a.projects)
        for (const TargetAssignment& t : p.targets)
            if (t.id == target) return true;
    return false;
}

// Brute force over three projects, three targets and three names (plus no name). Target 1 belongs
// to project 1 and target 2 to project 2 once a grant lists them there; a target no grant lists
// (named in a deny list, or not at all) may belong to any project. Does the grant allow anything
// the issuer does not?
bool brute_force_excess(const PrincipalPolicy& issuer, const PrincipalPolicy& grant) {
    Uuid org = U(kOrg);
    for (int b = grant.scopes().next(0); b >= 0; b = grant.scopes().next(b + 1)) {
        const Permission& p = *cat().at(b);
        for (int pi = 0; pi < 3; ++pi)
            for (int ti = 0; ti < 3; ++ti)
                for (int ni = -1; ni < 3; ++ni) {
                    Uuid t = U(kTargets[ti]);
                    bool listed = lists(issuer.assignment(), t) || lists(grant.assignment(), t);
                    if (listed && p.level >= Level::Target && ti != pi) continue;  // not a real pair
                    Uuid pr = U(kProjects[pi]), tg = U(kTargets[ti]);
                    std::string n = ni >= 0 ? kNames[ni] : "";
                    const std::string* name = ni >= 0 ? &n : nullptr;
                    const std::string* service = p.level == Level::Service ? name : nullptr;
                    const std::string* app = p.level == Level::AppDeployment ? name : nullptr;
                    if (grant.can(p, org, &pr, &tg, service, app) && !issuer.can(p, org, &pr, &tg, service, app)) return true;
                }
    }
    return false;
}

}  // namespace

TEST(Escalation, AgreesWithBruteForce) {
    ASSERT_GE(sodium_init(), 0);
    int within = 0, beyond = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string ij = random_assignment(), gj = random_assignment();
        PrincipalPolicy issuer(U(kOrg), random_scopes(), parse_assignment(ij), cat());
        PrincipalPolicy grant(U(kOrg), random_scopes(), parse_assignment(gj), cat());
        bool symbolic = !excess(issuer, grant, cat()).empty();
        ASSERT_EQ(symbolic, brute_force_excess(issuer, grant)) << "issuer " << ij << "\ngrant " << gj;
        (symbolic ? beyond : within)++;
    }
    EXPECT_GT(within, 300);  // both answers are exercised
    EXPECT_GT(beyond, 300);
}

TEST(Escalation, NamedCases) {
    Uuid org = U(kOrg);
    auto policy = [&](const char* scopes, const std::string& json) {
        return PrincipalPolicy(org, cat().parse(scopes), parse_assignment(json), cat());
    };
    std::string p1 = kProjects[0], t1 = kTargets[0];
    PrincipalPolicy whole = policy("{usage:report,project:describe}", R"({"mode": "*"})");
    PrincipalPolicy one_project = policy("{usage:report}", R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + p1 +
                                                               R"(", "targets": {"mode": "*"}}]})");
    EXPECT_TRUE(excess(whole, one_project, cat()).empty());
    std::vector<Excess> e = excess(one_project, whole, cat());
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e[0].permission, "project:describe");  // not held at all
    // the same permission on more resources
    PrincipalPolicy all_usage = policy("{usage:report}", R"({"mode": "*"})");
    e = excess(one_project, all_usage, cat());
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].permission, "usage:report");
    EXPECT_NE(e[0].resource.find("project"), std::string::npos);
    // a deny list of the issuer must be kept by what it issues
    PrincipalPolicy but_p1 = policy("{usage:report}", R"({"mode": "*", "deny": [{"type": "project", "id": ")" + p1 + R"("}]})");
    e = excess(but_p1, all_usage, cat());
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].resource.find(p1), std::string::npos);
    EXPECT_TRUE(excess(but_p1, policy("{usage:report}", R"({"mode": "*", "deny": [{"type": "project", "id": ")" + p1 + R"("}]})"), cat()).empty());
    // service names: a grant of one service stays within a grant of its target
    PrincipalPolicy target = policy("{schemaVersion:publish}", R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + p1 +
        R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + t1 +
        R"(", "services": {"mode": "*"}, "appDeployments": {"mode": "*"}}]}}]})");
    PrincipalPolicy service = policy("{schemaVersion:publish}", R"({"mode": "granular", "projects": [{"type": "project", "id": ")" + p1 +
        R"(", "targets": {"mode": "granular", "targets": [{"type": "target", "id": ")" + t1 +
        R"(", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]}, "appDeployments": {"mode": "*"}}]}}]})");
    EXPECT_TRUE(excess(target, service, cat()).empty());
    e = excess(service, target, cat());
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].resource.find("target"), std::string::npos);
}
