#include "policy.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "error.h"

namespace hive_tokens::core {

namespace {

using json::Value;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
    json::invalid_at("policy statements", path, what,
                     "Statements are a JSON array of {\"effect\": \"allow\"|\"deny\", \"action\": ..., \"resource\": ...}.");
}

Value str(const std::string& s) { return json::string_value(s); }

// The part of an action or pattern after its first ':' up to the next one (JavaScript's
// split(':')[1]); "" when there is no ':'.
std::string_view id_part(std::string_view s) {
    std::size_t c = s.find(':');
    if (c == std::string_view::npos) return {};
    std::string_view id = s.substr(c + 1);
    return id.substr(0, id.find(':'));
}

// Hive's isActionMatch: '*', the action itself, "<scope>:*" with the action's scope, or
// "*:<id>" with the action's id ("*:describe" matches every describe action).
bool action_match(const std::string& pattern, const std::string& action) {
    if (pattern == "*" || pattern == action) return true;
    std::string_view a(action), p(pattern);
    if (p.find(':') == std::string_view::npos) return false;
    std::string_view p_scope = p.substr(0, p.find(':'));
    std::string_view p_id = id_part(p);
    std::string_view a_scope = a.substr(0, a.find(':'));
    if (p_scope == "*" && p_id == id_part(a)) return true;
    return p_scope == a_scope && p_id == "*";
}

// Hive matches any string and never complains; a pattern that can match nothing is a mistake,
// so we refuse it: "<scope>:*" needs a known scope, "*:<id>" a known action id (so "*:*" is
// refused), anything else a known permission.
void check_action(const std::string& path, const std::string& action, const PermissionCatalog& cat) {
    if (action == "*") return;
    std::size_t colon = action.find(':');
    if (colon != std::string::npos && action.find(':', colon + 1) != std::string::npos)
        bad(path, "invalid action \"" + shown(action) + "\": an action is \"<scope>:<id>\", with one \":\"");
    bool any_scope = colon == 1 && action[0] == '*';
    bool any_id = colon != std::string::npos && action.compare(colon, std::string::npos, ":*") == 0;
    if (any_scope || any_id) {
        std::string part = any_scope ? std::string(id_part(action)) : action.substr(0, colon);
        if (!(any_scope && any_id) && action.find(':', colon + 1) == std::string::npos) {
            for (int b = 0; b < kScopeBits; ++b) {
                const Permission* p = cat.at(b);
                if (p && (any_scope ? p->action == part : p->resource == part)) return;
            }
        }
        std::string near = cat.suggest(action);
        if (any_scope)
            bad(path, "no permission has the action id \"" + shown(part) + "\" (in \"" + shown(action) + "\")" +
                          (near.empty() ? "" : " (did you mean \"" + near + "\"?)"));
        bad(path, "no permission belongs to \"" + shown(part) + "\"");
    }
    if (cat.find(action) == nullptr) {
        std::string near = cat.suggest(action);
        bad(path, "unknown action \"" + shown(action) + "\"" + (near.empty() ? "" : " (did you mean \"" + near + "\"?)"));
    }
}

std::vector<std::string> string_or_array(const Value& v, const std::string& path, bool* was_array) {
    std::vector<std::string> out;
    if (v.is(Value::Type::String)) {
        *was_array = false;
        out.push_back(v.text);
        return out;
    }
    if (!v.is(Value::Type::Array)) bad(path, "expected a string or an array of strings");
    *was_array = true;
    for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (!v.items[i].is(Value::Type::String)) bad(path + "[" + std::to_string(i) + "]", "expected a string");
        out.push_back(v.items[i].text);
    }
    return out;
}

Value string_or_array_json(const std::vector<std::string>& items, bool as_array) {
    if (!as_array && items.size() == 1) return str(items[0]);
    std::vector<Value> values;
    for (const std::string& s : items) values.push_back(str(s));
    return json::array_value(std::move(values));
}

Hrn make_hrn(const Uuid& org, std::string path) {
    Hrn h;
    h.org = org;
    h.path = std::move(path);
    return h;
}

}  // namespace

std::string denial_message(const std::string& action) {
    return "Missing permission for performing '" + action + "' on resource";
}

std::vector<Statement> parse_statements(const Value& v, const PermissionCatalog& cat) {
    if (!v.is(Value::Type::Array)) bad("$", std::string("expected an array of statements, found ") + json::type_name(v.type));
    std::vector<Statement> out;
    for (std::size_t i = 0; i < v.items.size(); ++i) {
        check_interrupts();
        std::string path = "$[" + std::to_string(i) + "]";
        const Value& s = v.items[i];
        if (!s.is(Value::Type::Object)) bad(path, std::string("expected an object, found ") + json::type_name(s.type));
        Statement st;
        const Value* effect = s.get("effect");
        if (effect == nullptr || !effect->is(Value::Type::String) || (effect->text != "allow" && effect->text != "deny"))
            bad(path + ".effect", "expected \"allow\" or \"deny\"");
        st.deny = effect->text == "deny";
        const Value* action = s.get("action");
        if (action == nullptr) bad(path, "missing \"action\"");
        st.actions = string_or_array(*action, path + ".action", &st.action_is_array);
        for (std::size_t k = 0; k < st.actions.size(); ++k)
            check_action(path + ".action" + (st.action_is_array ? "[" + std::to_string(k) + "]" : ""), st.actions[k], cat);
        const Value* resource = s.get("resource");
        if (resource == nullptr) bad(path, "missing \"resource\"");
        std::vector<std::string> res = string_or_array(*resource, path + ".resource", &st.resource_is_array);
        for (std::size_t k = 0; k < res.size(); ++k) {
            try {
                st.resources.push_back(parse_hrn(res[k]));
            } catch (const Error& e) {
                bad(path + ".resource" + (st.resource_is_array ? "[" + std::to_string(k) + "]" : ""), e.what());
            }
        }
        out.push_back(std::move(st));
    }
    return out;
}

Value statements_to_json(const std::vector<Statement>& statements) {
    Value a;
    a.type = Value::Type::Array;
    for (const Statement& st : statements) {
        std::vector<std::string> res;
        for (const Hrn& h : st.resources) res.push_back(h.text());
        Value o;
        o.type = Value::Type::Object;
        o.members.emplace_back("action", string_or_array_json(st.actions, st.action_is_array));
        o.members.emplace_back("effect", str(st.deny ? "deny" : "allow"));
        o.members.emplace_back("resource", string_or_array_json(res, st.resource_is_array));
        a.items.push_back(std::move(o));
    }
    return a;
}

std::vector<Statement> resolve(const Scopes& scopes, const Assignment& a, const Uuid& org, const PermissionCatalog& cat) {
    // Resources per level (Hive's resolveResourceAssignment).
    std::vector<Hrn> level_res[kLevelCount];
    const Hrn org_hrn = make_hrn(org, "organization/" + org.text());
    bool single = a.all;  // Hive writes one string (not an array) for "the organization"
    if (a.all) {
        for (auto& l : level_res) l.push_back(org_hrn);
    } else {
        level_res[static_cast<int>(Level::Organization)].push_back(org_hrn);
        for (const ProjectAssignment& p : a.projects) {
            Hrn ph = make_hrn(org, "project/" + p.id.text());
            level_res[static_cast<int>(Level::Project)].push_back(ph);
            if (p.all_targets) {
                level_res[static_cast<int>(Level::Target)].push_back(ph);
                level_res[static_cast<int>(Level::Service)].push_back(ph);
                level_res[static_cast<int>(Level::AppDeployment)].push_back(ph);
                continue;
            }
            for (const TargetAssignment& t : p.targets) {
                Hrn th = make_hrn(org, "target/" + t.id.text());
                level_res[static_cast<int>(Level::Target)].push_back(th);
                if (t.services.all) {
                    level_res[static_cast<int>(Level::Service)].push_back(th);
                } else {
                    for (const std::string& s : t.services.names)
                        level_res[static_cast<int>(Level::Service)].push_back(make_hrn(org, th.path + "/service/" + s));
                }
                if (t.app_deployments.all) {
                    level_res[static_cast<int>(Level::AppDeployment)].push_back(th);
                } else {
                    for (const std::string& s : t.app_deployments.names)
                        level_res[static_cast<int>(Level::AppDeployment)].push_back(
                            make_hrn(org, th.path + "/appDeployment/" + s));
                }
            }
        }
    }
    std::vector<Statement> out;
    for (int l = 0; l < kLevelCount; ++l) {
        Scopes at_level = scopes & cat.of_level(static_cast<Level>(l));
        // retired permissions are not in of_level(); keep them at their level too
        for (int b = scopes.next(0); b >= 0; b = scopes.next(b + 1))
            if (const Permission* p = cat.at(b); p && p->retired && static_cast<int>(p->level) == l) at_level.set(b);
        if (at_level.empty()) continue;
        Statement st;
        st.actions = cat.names(at_level);
        st.resources = level_res[l];
        st.resource_is_array = !(single || l == static_cast<int>(Level::Organization));
        out.push_back(std::move(st));
    }
    if (!a.deny.empty()) {
        Statement st;
        st.deny = true;
        st.actions = {"*"};
        st.action_is_array = false;
        for (const DenyEntry& e : a.deny) {
            switch (e.kind) {
                case DenyEntry::Kind::Project: st.resources.push_back(make_hrn(org, "project/" + e.id.text())); break;
                case DenyEntry::Kind::Target: st.resources.push_back(make_hrn(org, "target/" + e.id.text())); break;
                case DenyEntry::Kind::Service:
                    st.resources.push_back(make_hrn(org, "target/" + e.id.text() + "/service/" + e.name));
                    break;
                case DenyEntry::Kind::AppDeployment:
                    st.resources.push_back(make_hrn(org, "target/" + e.id.text() + "/appDeployment/" + e.name));
                    break;
            }
        }
        out.push_back(std::move(st));
    }
    return out;
}

Request make_request(const Permission& action, const Uuid& organization, const Uuid* resource_organization,
                     const Uuid* project, const Uuid* target, const std::string* service, const std::string* app,
                     bool validate_names) {
    Request r;
    r.action = &action;
    r.organization = organization;
    r.resource_organization = resource_organization ? *resource_organization : organization;
    const int level = static_cast<int>(action.level);
    auto need = [&](const void* p, const char* what) {
        if (p == nullptr)
            throw Error(ErrorKind::InvalidParameterValue,
                        "the action \"" + action.name + "\" is checked on a " + level_name(action.level) +
                            " and needs a " + what);
    };
    if (level >= static_cast<int>(Level::Project)) {
        need(project, "project id");
        r.project = *project;
    }
    if (level >= static_cast<int>(Level::Target)) {
        need(target, "target id");
        r.target = *target;
    }
    if (action.level == Level::Service && service != nullptr) {
        if (validate_names && !valid_resource_name(*service))
            throw Error(ErrorKind::InvalidParameterValue, "invalid service name \"" + shown(*service) + "\"");
        r.service = *service;
    }
    if (action.level == Level::AppDeployment && app != nullptr) {
        if (validate_names && !valid_resource_name(*app))
            throw Error(ErrorKind::InvalidParameterValue, "invalid app deployment name \"" + shown(*app) + "\"");
        r.app_deployment = *app;
    }
    return r;
}

namespace {
std::vector<std::string> chain_of(const Request& r) {
    std::vector<std::string> chain;
    chain.push_back("organization/" + r.resource_organization.text());
    if (r.project) chain.push_back("project/" + r.project->text());
    if (r.target) chain.push_back("target/" + r.target->text());
    if (r.service) chain.push_back("target/" + r.target->text() + "/service/" + *r.service);
    if (r.app_deployment) chain.push_back("target/" + r.target->text() + "/appDeployment/" + *r.app_deployment);
    return chain;
}
}  // namespace

bool evaluate_reference(const std::vector<Statement>& statements, const Request& request) {
    const std::vector<std::string> chain = chain_of(request);
    bool allowed = false;
    for (const Statement& st : statements) {
        bool applies = false;
        for (const Hrn& h : st.resources) {
            if (!h.any_org && h.org != request.organization) continue;
            for (const std::string& c : chain)
                if (path_matches(h.path, c)) applies = true;
            if (applies) break;
        }
        if (!applies) continue;
        for (const std::string& a : st.actions) {
            if (action_match(a, request.action->name)) {
                if (st.deny) return false;
                allowed = true;
            }
        }
    }
    return allowed;
}

bool CompiledPolicy::Exact::operator<(const Exact& o) const {
    return std::tie(kind, any_org, org, id, name) < std::tie(o.kind, o.any_org, o.org, o.id, o.name);
}

CompiledPolicy::CompiledPolicy(const std::vector<Statement>& statements, const PermissionCatalog& cat) {
    for (const Statement& st : statements) {
        Compiled c;
        c.deny = st.deny;
        c.actions = Scopes::none();
        for (const std::string& a : st.actions) {
            check_interrupts();
            for (int b = 0; b < kScopeBits; ++b) {
                const Permission* p = cat.at(b);
                if (p && action_match(a, p->name)) c.actions.set(b);
            }
        }
        for (const Hrn& h : st.resources) {
            // exact shapes: organization/<uuid>, project/<uuid>, target/<uuid>, target/<uuid>/service|appDeployment/<name>
            const std::string& p = h.path;
            Exact e;
            e.any_org = h.any_org;
            e.org = h.any_org ? Uuid{} : h.org;
            bool exact = false;
            auto id_at = [&](std::size_t pos) { return p.size() >= pos + 36 && parse_uuid(std::string_view(p).substr(pos, 36), &e.id); };
            if (p.rfind("organization/", 0) == 0 && p.size() == 13 + 36 && id_at(13)) {
                e.kind = KOrganization;
                exact = true;
            } else if (p.rfind("project/", 0) == 0 && p.size() == 8 + 36 && id_at(8)) {
                e.kind = KProject;
                exact = true;
            } else if (p.rfind("target/", 0) == 0 && id_at(7)) {
                if (p.size() == 7 + 36) {
                    e.kind = KTarget;
                    exact = true;
                } else if (p.compare(43, 9, "/service/") == 0) {
                    e.kind = KService;
                    e.name = p.substr(52);
                    exact = p.size() > 52 && p.substr(52) != "*";
                } else if (p.compare(43, 15, "/appDeployment/") == 0) {
                    e.kind = KAppDeployment;
                    e.name = p.substr(58);
                    exact = p.size() > 58 && p.substr(58) != "*";
                }
            }
            if (exact) {
                c.exact.push_back(std::move(e));
            } else {
                c.patterns.push_back(h);
            }
        }
        std::sort(c.exact.begin(), c.exact.end());
        statements_.push_back(std::move(c));
    }
}

bool CompiledPolicy::has_exact(const std::vector<Exact>& v, unsigned char kind, bool any_org, const Uuid& org,
                               const Uuid& id, const std::string& name) {
    Exact key{kind, any_org, any_org ? Uuid{} : org, id, name};
    auto it = std::lower_bound(v.begin(), v.end(), key);
    return it != v.end() && !(key < *it);
}

bool CompiledPolicy::check(const Request& r) const {
    const int bit = r.action->bit;
    static const std::string no_name;
    bool allowed = false;
    std::vector<std::string> chain;  // built only if a statement has patterns
    for (const Compiled& c : statements_) {
        if (!c.actions.test(bit)) continue;
        bool applies = false;
        if (!c.exact.empty()) {
            auto hit = [&](unsigned char kind, const Uuid& id, const std::string& name) {
                return has_exact(c.exact, kind, true, r.organization, id, name) ||
                       has_exact(c.exact, kind, false, r.organization, id, name);
            };
            applies = hit(KOrganization, r.resource_organization, no_name) || (r.project && hit(KProject, *r.project, no_name)) ||
                      (r.target && hit(KTarget, *r.target, no_name)) ||
                      (r.service && hit(KService, *r.target, *r.service)) ||
                      (r.app_deployment && hit(KAppDeployment, *r.target, *r.app_deployment));
        }
        if (!applies && !c.patterns.empty()) {
            if (chain.empty()) chain = chain_of(r);
            for (const Hrn& h : c.patterns) {
                if (!h.any_org && h.org != r.organization) continue;
                for (const std::string& e : chain)
                    if (path_matches(h.path, e)) {
                        applies = true;
                        break;
                    }
                if (applies) break;
            }
        }
        if (!applies) continue;
        if (c.deny) return false;
        allowed = true;
    }
    return allowed;
}

}  // namespace hive_tokens::core
