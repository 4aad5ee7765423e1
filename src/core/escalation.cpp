#include "escalation.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "error.h"

namespace hive_tokens::core {

namespace {

// Resources a grant's assignment mentions: projects, targets, and names per target.
struct Mentioned {
    std::set<Uuid> projects, targets;
    std::map<Uuid, std::set<Uuid>> owners;  // target -> the projects a grant lists it under
    std::map<Uuid, std::set<std::string>> services, apps;
};

void collect(const Assignment& a, Mentioned* m) {
    for (const ProjectAssignment& p : a.projects) {
        m->projects.insert(p.id);
        for (const TargetAssignment& t : p.targets) {
            m->targets.insert(t.id);
            m->owners[t.id].insert(p.id);
            for (const std::string& n : t.services.names) m->services[t.id].insert(n);
            for (const std::string& n : t.app_deployments.names) m->apps[t.id].insert(n);
        }
    }
    for (const DenyEntry& d : a.deny) {
        switch (d.kind) {
            case DenyEntry::Kind::Project: m->projects.insert(d.id); break;
            case DenyEntry::Kind::Target: m->targets.insert(d.id); break;
            case DenyEntry::Kind::Service: m->targets.insert(d.id); m->services[d.id].insert(d.name); break;
            case DenyEntry::Kind::AppDeployment: m->targets.insert(d.id); m->apps[d.id].insert(d.name); break;
        }
    }
}

// An id neither grant mentions: the smallest one not in the set (ids are compared as bytes).
Uuid fresh(const std::set<Uuid>& taken) {
    Uuid u{};
    for (int i = 0; i < 1 << 16; ++i) {
        u.b[14] = static_cast<std::uint8_t>(i >> 8);
        u.b[15] = static_cast<std::uint8_t>(i);
        if (!taken.count(u)) return u;
    }
    throw Error(ErrorKind::LimitExceeded, "too many resources to check a grant");
}

std::string fresh_name(const std::set<std::string>& taken) {
    std::string n = "other";
    while (taken.count(n)) n += "_";
    return n;
}

}  // namespace

std::vector<Excess> excess(const PrincipalPolicy& issuer, const PrincipalPolicy& grant, const PermissionCatalog& cat,
                           std::size_t limit, std::size_t max_requests) {
    Mentioned m;
    collect(issuer.assignment(), &m);
    collect(grant.assignment(), &m);
    const Uuid other_project = fresh(m.projects);
    const Uuid other_target = fresh(m.targets);
    std::vector<std::optional<Uuid>> projects(m.projects.begin(), m.projects.end());
    projects.push_back(other_project);
    std::vector<Uuid> targets(m.targets.begin(), m.targets.end());
    targets.push_back(other_target);

    auto describe_project = [&](const Uuid& p) {
        return p == other_project ? std::string("a project neither grant names") : "project " + p.text();
    };
    auto describe_target = [&](const Uuid& t) {
        return t == other_target ? std::string("a target neither grant names") : "target " + t.text();
    };

    std::vector<Excess> out;
    std::size_t asked = 0;
    const Uuid& org = grant.organization();
    auto ask = [&](const Permission& p, const Uuid* project, const Uuid* target, const std::string* service,
                   const std::string* app, const std::string& where) {
        if (++asked > max_requests)
            throw Error(ErrorKind::LimitExceeded, "the grants name too many resources to check that one stays within the other",
                        "", "Split the token into narrower ones.");
        check_interrupts();
        if (grant.can(p, org, project, target, service, app) && !issuer.can(p, org, project, target, service, app)) {
            if (out.size() < limit) out.push_back({p.name, where});
            return true;
        }
        return false;
    };

    const Scopes granted = grant.scopes();
    for (int b = granted.next(0); b >= 0 && out.size() < limit; b = granted.next(b + 1)) {
        const Permission* p = cat.at(b);
        if (p == nullptr) continue;  // a bit the catalog does not define grants nothing
        if (p->level == Level::Organization) {
            ask(*p, nullptr, nullptr, nullptr, nullptr, "the organization");
            continue;
        }
        for (const auto& project : projects) {
            if (p->level == Level::Project) {
                if (ask(*p, &*project, nullptr, nullptr, nullptr, describe_project(*project))) break;
                continue;
            }
            bool found = false;
            for (const Uuid& target : targets) {
                // A target belongs to one project: a grant that lists it under projects names
                // them, and requests pair it with no other (a target named only in a deny list,
                // or in neither grant, may belong to any).
                if (auto o = m.owners.find(target); o != m.owners.end() && !o->second.count(*project)) continue;
                std::string where = describe_target(target) + " (with " + describe_project(*project) + ")";
                if (p->level == Level::Target) {
                    found = ask(*p, &*project, &target, nullptr, nullptr, where);
                } else {
                    const bool service = p->level == Level::Service;
                    const auto& named = service ? m.services : m.apps;
                    std::set<std::string> names;
                    if (auto it = named.find(target); it != named.end()) names = it->second;
                    std::vector<std::string> candidates(names.begin(), names.end());
                    candidates.push_back(fresh_name(names));
                    found = ask(*p, &*project, &target, nullptr, nullptr, where);  // no name given
                    for (std::size_t i = 0; !found && i < candidates.size(); ++i) {
                        const std::string& n = candidates[i];
                        std::string w = (service ? "service " : "app deployment ") +
                                        (i + 1 == candidates.size() ? std::string("not named in either grant") : "\"" + n + "\"") +
                                        " of " + where;
                        found = ask(*p, &*project, &target, service ? &n : nullptr, service ? nullptr : &n, w);
                    }
                }
                if (found) break;
            }
            if (found) break;
        }
    }
    return out;
}

}  // namespace hive_tokens::core
