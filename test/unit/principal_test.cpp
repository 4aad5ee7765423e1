#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>

#include "principal.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = PermissionCatalog::builtin();
    return c;
}

Uuid id(int n) {
    Uuid u{};
    u.b[0] = static_cast<std::uint8_t>(n);
    u.b[6] = 0x40;
    u.b[8] = 0x80;
    return u;
}

bool in(const std::vector<Uuid>& v, const Uuid& u) { return std::binary_search(v.begin(), v.end(), u); }

// The row-level-security formula of principal.h, spelled out.
bool formula(const PrincipalPolicy& p, const Permission& a, const Uuid& org, const Uuid& project, const Uuid& target,
             const std::string* name) {
    PrincipalPolicy::Sets s = p.sets_for(a);
    if (org != p.organization()) return false;
    bool covered = in(s.projects, project) || in(s.targets, target) || (s.organization_wide && *s.organization_wide == org) ||
                   in(s.row_check_targets, target);
    bool row_ok = !in(s.row_check_targets, target) ||
                  p.can(a, org, &project, &target, a.level == Level::Service ? name : nullptr,
                        a.level == Level::AppDeployment ? name : nullptr);
    return covered && row_ok && !in(s.denied_projects, project) && !in(s.denied_targets, target);
}

}  // namespace

TEST(Principal, CanFollowsTheGrant) {
    ASSERT_GE(sodium_init(), 0);
    Assignment a;
    a.all = false;
    ProjectAssignment p1;
    p1.id = id(1);
    ProjectAssignment p2;
    p2.id = id(2);
    p2.all_targets = false;
    TargetAssignment t;
    t.id = id(20);
    t.services.all = false;
    t.services.names = {"products"};
    p2.targets.push_back(t);
    a.projects = {p1, p2};
    PrincipalPolicy p(id(100), cat().parse("{project:describe,usage:report,schemaVersion:publish}"), a, cat());
    const Permission& describe = *cat().find("project:describe");
    const Permission& usage = *cat().find("usage:report");
    const Permission& publish = *cat().find("schemaVersion:publish");
    const Permission& del = *cat().find("project:delete");
    Uuid org = id(100), other = id(101), pr1 = id(1), pr2 = id(2), pr3 = id(3), tg = id(20), tg2 = id(21);
    std::string products = "products", reviews = "reviews";
    EXPECT_TRUE(p.can(describe, org, &pr1, nullptr, nullptr, nullptr));
    EXPECT_TRUE(p.can(describe, org, &pr2, nullptr, nullptr, nullptr));
    EXPECT_FALSE(p.can(describe, org, &pr3, nullptr, nullptr, nullptr));
    EXPECT_FALSE(p.can(describe, other, &pr1, nullptr, nullptr, nullptr));  // another organization
    EXPECT_FALSE(p.can(del, org, &pr1, nullptr, nullptr, nullptr));          // not in scopes
    EXPECT_FALSE(p.can(describe, org, nullptr, nullptr, nullptr, nullptr));  // missing id: false, not an error
    EXPECT_TRUE(p.can(usage, org, &pr1, &tg2, nullptr, nullptr));            // project 1: all targets
    EXPECT_TRUE(p.can(usage, org, &pr2, &tg, nullptr, nullptr));
    EXPECT_FALSE(p.can(usage, org, &pr2, &tg2, nullptr, nullptr));
    EXPECT_TRUE(p.can(publish, org, &pr2, &tg, &products, nullptr));
    EXPECT_FALSE(p.can(publish, org, &pr2, &tg, &reviews, nullptr));
    EXPECT_FALSE(p.can(publish, org, &pr2, &tg, nullptr, nullptr));
    PrincipalPolicy::Sets s = p.sets_for(publish);
    EXPECT_EQ(s.projects, std::vector<Uuid>{pr1});
    EXPECT_TRUE(s.targets.empty());
    EXPECT_EQ(s.row_check_targets, std::vector<Uuid>{tg});
    EXPECT_FALSE(s.organization_wide);
    EXPECT_EQ(p.sets_for(describe).projects, (std::vector<Uuid>{pr1, pr2}));
    EXPECT_FALSE(p.sets_for(*cat().find("organization:describe")).organization_wide);  // not granted
    PrincipalPolicy with_org(org, cat().parse("{organization:describe}"), a, cat());
    ASSERT_TRUE(with_org.sets_for(*cat().find("organization:describe")).organization_wide);  // granular, yet org-level
    EXPECT_EQ(*with_org.sets_for(*cat().find("organization:describe")).organization_wide, org);
    EXPECT_TRUE(p.sets_for(del).projects.empty());  // not granted: nothing
}

// The RLS formula equals can() on random grants, rows and actions of every level.
TEST(Principal, SargableFormulaEqualsCan) {
    ASSERT_GE(sodium_init(), 0);
    auto pick = [](int n) { return static_cast<int>(randombytes_uniform(static_cast<uint32_t>(n))); };
    const char* names[] = {"products", "reviews", "web"};
    const char* actions[] = {"organization:describe", "project:describe", "usage:report", "schemaVersion:publish",
                             "appDeployment:create", "target:delete"};
    const Uuid org = id(100);
    int visible = 0, total = 0;
    for (int round = 0; round < 400; ++round) {
        Assignment a;
        a.all = pick(4) == 0;
        if (!a.all) {
            for (int p = 1; p <= 3; ++p) {
                if (pick(3) == 0) continue;
                ProjectAssignment pa;
                pa.id = id(p);
                pa.all_targets = pick(3) == 0;
                if (!pa.all_targets) {
                    for (int t = 0; t < 3; ++t) {
                        if (pick(2) == 0) continue;
                        TargetAssignment ta;
                        ta.id = id(10 * p + t);
                        for (NameSet* ns : {&ta.services, &ta.app_deployments}) {
                            ns->all = pick(2) == 0;
                            if (!ns->all)
                                for (const char* n : names)
                                    if (pick(2) == 0) ns->names.push_back(n);
                        }
                        pa.targets.push_back(ta);
                    }
                }
                a.projects.push_back(pa);
            }
        }
        for (int d = pick(3); d > 0; --d) {
            DenyEntry e;
            e.kind = static_cast<DenyEntry::Kind>(pick(4));
            e.id = e.kind == DenyEntry::Kind::Project ? id(1 + pick(3)) : id(10 * (1 + pick(3)) + pick(3));
            if (e.kind == DenyEntry::Kind::Service || e.kind == DenyEntry::Kind::AppDeployment) e.name = names[pick(3)];
            a.deny.push_back(e);
        }
        std::sort(a.deny.begin(), a.deny.end());
        a.deny.erase(std::unique(a.deny.begin(), a.deny.end()), a.deny.end());
        Scopes scopes = cat().parse("{organization:describe,project:describe,usage:report,schemaVersion:publish,appDeployment:create}");
        PrincipalPolicy p(org, scopes, a, cat());
        for (int k = 0; k < 40; ++k) {
            const Permission& action = *cat().find(actions[pick(6)]);
            Uuid row_org = pick(8) == 0 ? id(101) : org;
            int pr = 1 + pick(3);
            Uuid project = id(pr), target = id(10 * pr + pick(3));
            std::string name = names[pick(3)];
            bool with_name = pick(4) != 0;
            const std::string* nm = with_name ? &name : nullptr;
            bool expected = p.can(action, row_org, &project, &target, action.level == Level::Service ? nm : nullptr,
                                  action.level == Level::AppDeployment ? nm : nullptr);
            ASSERT_EQ(formula(p, action, row_org, project, target, nm), expected) << action.name << " round " << round;
            visible += expected;
            ++total;
        }
    }
    EXPECT_GT(visible, total / 10);
    EXPECT_LT(visible, total * 9 / 10);
}
