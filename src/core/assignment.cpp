#include "assignment.h"

#include <algorithm>

#include "error.h"
#include "permission_catalog.h"

namespace hive_tokens::core {

namespace {

using json::Value;
using T = Value::Type;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
    json::invalid_at("resource assignment", path, what,
                     "See the reference, \"Resource assignments\": {\"mode\": \"*\"} or Hive's granular form.");
}

const Value& member(const Value& obj, const std::string& path, const char* key) {
    const Value* v = obj.get(key);
    if (v == nullptr) bad(path, std::string("missing \"") + key + "\"");
    return *v;
}

void expect(const Value& v, T t, const std::string& path) {
    if (!v.is(t)) bad(path, std::string("expected ") + json::type_name(t) + ", found " + json::type_name(v.type));
}

void expect_type_tag(const Value& obj, const std::string& path, const char* tag) {
    const Value& t = member(obj, path, "type");
    if (!t.is(T::String) || t.text != tag) bad(path + ".type", std::string("expected \"") + tag + "\"");
}

Uuid uuid_member(const Value& obj, const std::string& path, const char* key) {
    const Value& v = member(obj, path, key);
    Uuid u;
    if (!v.is(T::String) || !parse_uuid(v.text, &u)) bad(path + "." + key, "expected a UUID");
    return u;
}

std::string name_member(const Value& obj, const std::string& path, const char* key) {
    const Value& v = member(obj, path, key);
    if (!v.is(T::String) || !valid_resource_name(v.text))
        bad(path + "." + key, "expected a name of 1 to 200 characters without '/', ':' or control characters");
    return v.text;
}

// {"mode": "*"} -> true; {"mode": "granular", ...} -> false.
bool mode_all(const Value& obj, const std::string& path) {
    expect(obj, T::Object, path);
    const Value& m = member(obj, path, "mode");
    if (m.is(T::String) && m.text == "*") return true;
    if (m.is(T::String) && m.text == "granular") return false;
    bad(path + ".mode", "expected \"*\" or \"granular\"");
}

const std::vector<Value>& list_member(const Value& obj, const std::string& path, const char* key, bool optional_null) {
    static const std::vector<Value> empty;
    const Value* v = obj.get(key);
    if (v == nullptr || (optional_null && v->is(T::Null))) {
        if (optional_null) return empty;
        bad(path, std::string("missing \"") + key + "\"");
    }
    expect(*v, T::Array, path + "." + key);
    return v->items;
}

NameSet names(const Value& obj, const std::string& path, const char* list_key, const char* tag, const char* name_key,
              const char* what) {
    NameSet s;
    s.all = mode_all(obj, path);
    if (s.all) return s;
    // Hive's model lets "services" be missing or null (meaning none); appDeployments is required.
    const auto& items = list_member(obj, path, list_key, std::string(list_key) == "services");
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string p = path + "." + list_key + "[" + std::to_string(i) + "]";
        expect(items[i], T::Object, p);
        expect_type_tag(items[i], p, tag);
        s.names.push_back(name_member(items[i], p, name_key));
    }
    std::sort(s.names.begin(), s.names.end());
    auto dup = std::adjacent_find(s.names.begin(), s.names.end());
    if (dup != s.names.end()) bad(path + "." + list_key, std::string("duplicate ") + what + " \"" + shown(*dup) + "\"");
    return s;
}

Value str(const std::string& s) { return json::string_value(s); }
Value obj(std::vector<std::pair<std::string, Value>> members) { return json::object_value(std::move(members)); }
Value arr(std::vector<Value> items) { return json::array_value(std::move(items)); }

Value names_json(const NameSet& s, const char* list_key, const char* tag, const char* name_key) {
    if (s.all) return obj({{"mode", str("*")}});
    std::vector<Value> items;
    for (const std::string& n : s.names) items.push_back(obj({{"type", str(tag)}, {name_key, str(n)}}));
    return obj({{"mode", str("granular")}, {list_key, arr(std::move(items))}});
}

NameSet intersect_names(const NameSet& a, const NameSet& b) {
    if (a.all) return b;
    if (b.all) return a;
    NameSet r;
    r.all = false;
    std::set_intersection(a.names.begin(), a.names.end(), b.names.begin(), b.names.end(), std::back_inserter(r.names));
    return r;
}

}  // namespace

bool DenyEntry::operator<(const DenyEntry& o) const {
    if (kind != o.kind) return kind < o.kind;
    if (id != o.id) return id < o.id;
    return name < o.name;
}

bool DenyEntry::operator==(const DenyEntry& o) const { return kind == o.kind && id == o.id && name == o.name; }


Assignment parse_assignment(const Value& root) {
    Assignment a;
    a.all = mode_all(root, "$");
    if (!a.all) {
        const auto& projects = list_member(root, "$", "projects", false);
        for (std::size_t i = 0; i < projects.size(); ++i) {
            check_interrupts();
            std::string pp = "$.projects[" + std::to_string(i) + "]";
            expect(projects[i], T::Object, pp);
            expect_type_tag(projects[i], pp, "project");
            ProjectAssignment p;
            p.id = uuid_member(projects[i], pp, "id");
            const Value& targets = member(projects[i], pp, "targets");
            p.all_targets = mode_all(targets, pp + ".targets");
            if (!p.all_targets) {
                const auto& tl = list_member(targets, pp + ".targets", "targets", false);
                for (std::size_t k = 0; k < tl.size(); ++k) {
                    check_interrupts();
                    std::string tp = pp + ".targets.targets[" + std::to_string(k) + "]";
                    expect(tl[k], T::Object, tp);
                    expect_type_tag(tl[k], tp, "target");
                    TargetAssignment t;
                    t.id = uuid_member(tl[k], tp, "id");
                    t.services = names(member(tl[k], tp, "services"), tp + ".services", "services", "service",
                                       "serviceName", "service");
                    t.app_deployments = names(member(tl[k], tp, "appDeployments"), tp + ".appDeployments",
                                              "appDeployments", "appDeployment", "appName", "app deployment");
                    p.targets.push_back(std::move(t));
                }
                std::sort(p.targets.begin(), p.targets.end(),
                          [](const TargetAssignment& x, const TargetAssignment& y) { return x.id < y.id; });
                for (std::size_t k = 1; k < p.targets.size(); ++k)
                    if (p.targets[k].id == p.targets[k - 1].id)
                        bad(pp + ".targets.targets", "duplicate target " + p.targets[k].id.text());
            }
            a.projects.push_back(std::move(p));
        }
        std::sort(a.projects.begin(), a.projects.end(),
                  [](const ProjectAssignment& x, const ProjectAssignment& y) { return x.id < y.id; });
        for (std::size_t i = 1; i < a.projects.size(); ++i)
            if (a.projects[i].id == a.projects[i - 1].id) bad("$.projects", "duplicate project " + a.projects[i].id.text());
    }
    const Value* deny = root.get("deny");
    if (deny != nullptr && !deny->is(T::Null)) {
        expect(*deny, T::Array, "$.deny");
        for (std::size_t i = 0; i < deny->items.size(); ++i) {
            check_interrupts();
            std::string dp = "$.deny[" + std::to_string(i) + "]";
            const Value& d = deny->items[i];
            expect(d, T::Object, dp);
            const Value& type = member(d, dp, "type");
            DenyEntry e;
            if (type.is(T::String) && type.text == "project") {
                e.kind = DenyEntry::Kind::Project;
                e.id = uuid_member(d, dp, "id");
            } else if (type.is(T::String) && type.text == "target") {
                e.kind = DenyEntry::Kind::Target;
                e.id = uuid_member(d, dp, "id");
            } else if (type.is(T::String) && type.text == "service") {
                e.kind = DenyEntry::Kind::Service;
                e.id = uuid_member(d, dp, "targetId");
                e.name = name_member(d, dp, "serviceName");
            } else if (type.is(T::String) && type.text == "appDeployment") {
                e.kind = DenyEntry::Kind::AppDeployment;
                e.id = uuid_member(d, dp, "targetId");
                e.name = name_member(d, dp, "appName");
            } else {
                bad(dp + ".type", "expected \"project\", \"target\", \"service\" or \"appDeployment\"");
            }
            a.deny.push_back(std::move(e));
        }
        std::sort(a.deny.begin(), a.deny.end());
        a.deny.erase(std::unique(a.deny.begin(), a.deny.end()), a.deny.end());
    }
    return a;
}

Value to_json(const Assignment& a) {
    std::vector<std::pair<std::string, Value>> top;
    if (a.all) {
        top.emplace_back("mode", str("*"));
    } else {
        std::vector<Value> projects;
        for (const ProjectAssignment& p : a.projects) {
            Value targets;
            if (p.all_targets) {
                targets = obj({{"mode", str("*")}});
            } else {
                std::vector<Value> tl;
                for (const TargetAssignment& t : p.targets)
                    tl.push_back(obj({{"type", str("target")},
                                      {"id", str(t.id.text())},
                                      {"services", names_json(t.services, "services", "service", "serviceName")},
                                      {"appDeployments", names_json(t.app_deployments, "appDeployments",
                                                                    "appDeployment", "appName")}}));
                targets = obj({{"mode", str("granular")}, {"targets", arr(std::move(tl))}});
            }
            projects.push_back(obj({{"type", str("project")}, {"id", str(p.id.text())}, {"targets", std::move(targets)}}));
        }
        top.emplace_back("mode", str("granular"));
        top.emplace_back("projects", arr(std::move(projects)));
    }
    if (!a.deny.empty()) {
        std::vector<Value> deny;
        for (const DenyEntry& e : a.deny) {
            switch (e.kind) {
                case DenyEntry::Kind::Project: deny.push_back(obj({{"type", str("project")}, {"id", str(e.id.text())}})); break;
                case DenyEntry::Kind::Target: deny.push_back(obj({{"type", str("target")}, {"id", str(e.id.text())}})); break;
                case DenyEntry::Kind::Service:
                    deny.push_back(obj({{"type", str("service")}, {"targetId", str(e.id.text())}, {"serviceName", str(e.name)}}));
                    break;
                case DenyEntry::Kind::AppDeployment:
                    deny.push_back(obj({{"type", str("appDeployment")}, {"targetId", str(e.id.text())}, {"appName", str(e.name)}}));
                    break;
            }
        }
        top.emplace_back("deny", arr(std::move(deny)));
    }
    return obj(std::move(top));
}

Assignment intersect(const Assignment& a, const Assignment& b) {
    Assignment r;
    if (a.all) {
        r = b;
    } else if (b.all) {
        r = a;
    } else {
        r.all = false;
        for (const ProjectAssignment& pa : a.projects) {
            auto pb = std::lower_bound(b.projects.begin(), b.projects.end(), pa,
                                       [](const ProjectAssignment& x, const ProjectAssignment& y) { return x.id < y.id; });
            if (pb == b.projects.end() || pb->id != pa.id) continue;
            ProjectAssignment p;
            p.id = pa.id;
            if (pa.all_targets) {
                p.all_targets = pb->all_targets;
                p.targets = pb->targets;
            } else if (pb->all_targets) {
                p.all_targets = false;
                p.targets = pa.targets;
            } else {
                p.all_targets = false;
                for (const TargetAssignment& ta : pa.targets) {
                    auto tb = std::lower_bound(pb->targets.begin(), pb->targets.end(), ta,
                                               [](const TargetAssignment& x, const TargetAssignment& y) { return x.id < y.id; });
                    if (tb == pb->targets.end() || tb->id != ta.id) continue;
                    p.targets.push_back({ta.id, intersect_names(ta.services, tb->services),
                                         intersect_names(ta.app_deployments, tb->app_deployments)});
                }
            }
            r.projects.push_back(std::move(p));
        }
    }
    r.deny.clear();
    std::set_union(a.deny.begin(), a.deny.end(), b.deny.begin(), b.deny.end(), std::back_inserter(r.deny));
    return r;
}

Assignment project_token_grant(const Assignment& given, const Uuid& project) {
    Assignment r;
    r.all = false;
    r.deny = given.deny;
    if (given.all) {
        ProjectAssignment p;
        p.id = project;
        r.projects.push_back(std::move(p));
        return r;
    }
    for (const ProjectAssignment& p : given.projects)
        if (p.id != project)
            throw Error(ErrorKind::InvalidParameterValue, "a project token's resources name another project",
                        "Project " + p.id.text() + " is not the token's project " + project.text() + ".",
                        "Give {\"mode\": \"*\"} for the whole project, or its targets under its own id.");
    if (given.projects.empty())
        throw Error(ErrorKind::InvalidParameterValue, "a project token's resources must name its project",
                    "A granular assignment without the project " + project.text() + " would grant nothing.",
                    "Give {\"mode\": \"*\"} for the whole project, or its targets under its own id.");
    r.projects = given.projects;
    return r;
}

Assignment project_token_effective(const Assignment& stored, const Uuid& project) {
    Assignment only;
    only.all = false;
    only.deny = stored.deny;
    if (stored.all) return only;
    ProjectAssignment p;
    p.id = project;
    only.projects.push_back(std::move(p));
    return intersect(stored, only);
}

}  // namespace hive_tokens::core
