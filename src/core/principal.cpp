#include "principal.h"

#include <algorithm>

namespace hive_tokens::core {

namespace {
void sort_unique(std::vector<Uuid>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
}
}  // namespace

PrincipalPolicy::PrincipalPolicy(const Uuid& organization, const Scopes& scopes, Assignment assignment,
                                 const PermissionCatalog& cat)
    : organization_(organization),
      scopes_(scopes),
      assignment_(std::move(assignment)),
      compiled_(resolve(scopes, assignment_, organization, cat), cat) {}

bool PrincipalPolicy::can(const Permission& action, const Uuid& organization, const Uuid* project, const Uuid* target,
                          const std::string* service, const std::string* app) const {
    if (organization != organization_ || !scopes_.test(action.bit)) return false;
    const int level = static_cast<int>(action.level);
    if (level >= static_cast<int>(Level::Project) && project == nullptr) return false;
    if (level >= static_cast<int>(Level::Target) && target == nullptr) return false;
    return compiled_.check(make_request(action, organization, nullptr, project, target, service, app, false));
}

PrincipalPolicy::Sets PrincipalPolicy::sets_for(const Permission& action) const {
    Sets s;
    if (!scopes_.test(action.bit)) return s;
    const Level level = action.level;
    if (assignment_.all || level == Level::Organization) {
        s.organization_wide = organization_;
    } else {
        for (const ProjectAssignment& p : assignment_.projects) {
            if (level == Level::Project || p.all_targets) {
                s.projects.push_back(p.id);
                continue;
            }
            for (const TargetAssignment& t : p.targets) {
                const NameSet* names = level == Level::Service ? &t.services
                                       : level == Level::AppDeployment ? &t.app_deployments
                                                                       : nullptr;
                if (names == nullptr || names->all) {
                    s.targets.push_back(t.id);
                } else if (!names->names.empty()) {
                    s.row_check_targets.push_back(t.id);
                }
            }
        }
    }
    for (const DenyEntry& d : assignment_.deny) {
        // name-level denies make their targets depend on the name
        if ((level == Level::Service && d.kind == DenyEntry::Kind::Service) ||
            (level == Level::AppDeployment && d.kind == DenyEntry::Kind::AppDeployment))
            s.row_check_targets.push_back(d.id);
        if (d.kind == DenyEntry::Kind::Project && level != Level::Organization) s.denied_projects.push_back(d.id);
        if (d.kind == DenyEntry::Kind::Target && level != Level::Organization && level != Level::Project)
            s.denied_targets.push_back(d.id);
    }
    sort_unique(&s.denied_projects);
    sort_unique(&s.denied_targets);
    sort_unique(&s.projects);
    sort_unique(&s.targets);
    sort_unique(&s.row_check_targets);
    return s;
}

}  // namespace hive_tokens::core
