#include "permission_catalog.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <cctype>

#include "error.h"

namespace hive_tokens::core {

namespace {

using L = Level;

// Hive's permissions (docs/reference.md, table permissions), level by level, then the retired ones.
// Groups and labels of assignable permissions are Hive's UI text.
const std::vector<PermissionSpec> kBuiltin = {
    // organization
    {"organization:describe", L::Organization, "Organization", "Describe organization", true, false, ""},
    {"organization:modifySlug", L::Organization, "Organization", "Modify organization slug", false, false, ""},
    {"organization:delete", L::Organization, "Organization", "Delete organization", false, false, ""},
    {"gitHubIntegration:modify", L::Organization, "Integrations", "Manage GitHub integration", false, false, ""},
    {"slackIntegration:modify", L::Organization, "Integrations", "Manage Slack integration", false, false, ""},
    {"oidc:modify", L::Organization, "Integrations", "Manage OIDC integration", false, false, ""},
    {"support:manageTickets", L::Organization, "Support", "Manage support tickets", false, false, ""},
    {"billing:describe", L::Organization, "Billing", "Describe billing", false, false, ""},
    {"billing:update", L::Organization, "Billing", "Update billing", false, false, ""},
    {"member:describe", L::Organization, "Members", "Describe members", true, false, ""},
    {"member:modify", L::Organization, "Members", "Manage members", true, false, "member:describe"},
    {"project:create", L::Organization, "Project", "Create project", true, false, ""},
    {"schemaLinting:modifyOrganizationRules", L::Organization, "Schema Linting", "Modify organization linting rules", false, false, ""},
    {"auditLog:export", L::Organization, "Audit Log", "Export audit log", false, false, ""},
    {"accessToken:modify", L::Organization, "Access Tokens", "Manage access tokens", true, false, ""},
    {"personalAccessToken:modify", L::Organization, "Access Tokens", "Manage personal access tokens", false, false, ""},
    // project
    {"project:describe", L::Project, "Project", "Describe project", true, false, ""},
    {"project:delete", L::Project, "Project", "Delete project", true, false, "project:describe"},
    {"project:modifySettings", L::Project, "Project", "Modify Settings", true, false, "project:describe"},
    {"alert:modify", L::Project, "Alerts", "Manage alerts", false, false, ""},
    {"schemaLinting:modifyProjectRules", L::Project, "Schema Linting", "Modify project linting rules", false, false, ""},
    {"target:create", L::Project, "Target", "Create target", true, false, ""},
    {"projectAccessToken:modify", L::Project, "Access Tokens", "Manage project access tokens", false, false, ""},
    {"sharedSavedFilter:modify", L::Project, "Saved Filters", "Manage shared saved filters", false, false, ""},
    // target
    {"targetAccessToken:modify", L::Target, "Access Tokens", "Manage target access tokens", false, false, ""},
    {"cdnAccessToken:modify", L::Target, "Target", "Manage CDN access tokens", true, false, ""},
    {"target:delete", L::Target, "Target", "Delete target", true, false, ""},
    {"target:modifySettings", L::Target, "Target", "Modify settings", true, false, ""},
    {"laboratory:describe", L::Target, "Laboratory", "Describe laboratory", false, false, ""},
    {"laboratory:modify", L::Target, "Laboratory", "Manage laboratory", false, false, ""},
    {"laboratory:modifyPreflightScript", L::Target, "Laboratory", "Manage preflight script", false, false, ""},
    {"schema:compose", L::Target, "Schema Registry", "Compose schema", true, false, ""},
    {"usage:report", L::Target, "Usage Reporting and Tracing", "Report usage data", true, false, ""},
    {"traces:report", L::Target, "Usage Reporting and Tracing", "Report OTEL traces", true, false, ""},
    {"schemaProposal:describe", L::Target, "Schema Proposals", "Describe schema proposals", false, false, ""},
    {"schemaProposal:modify", L::Target, "Schema Proposals", "Manage schema proposals", false, false, ""},
    // service
    {"schemaCheck:create", L::Service, "Schema Registry", "Check schema/service/subgraph", true, false, ""},
    {"schemaCheck:approve", L::Service, "Schema Registry", "Approve schema check", true, false, ""},
    {"schemaVersion:publish", L::Service, "Schema Registry", "Publish schema/service/subgraph", true, false, ""},
    {"schemaVersion:deleteService", L::Service, "Schema Registry", "Delete service", true, false, ""},
    // appDeployment
    {"appDeployment:create", L::AppDeployment, "App Deployments", "Create app deployment", true, false, ""},
    {"appDeployment:publish", L::AppDeployment, "App Deployments", "Publish app deployment", true, false, ""},
    {"appDeployment:retire", L::AppDeployment, "App Deployments", "Retire app deployment", true, false, ""},
    // retired in Hive: kept so old grants still print, never granted anew
    {"member:assignRole", L::Organization, "Members", "Assign member role", false, true, ""},
    {"member:modifyRole", L::Organization, "Members", "Modify member role", false, true, ""},
    {"member:removeMember", L::Organization, "Members", "Remove member", false, true, ""},
    {"member:manageInvites", L::Organization, "Members", "Manage invites", false, true, ""},
    {"appDeployment:describe", L::Target, "App Deployments", "Describe app deployment", false, true, ""},  // checked on the target
    {"schema:loadFromRegistry", L::Target, "Schema Registry", "Load schema from registry", false, true, ""},
};

const char* const kLevelNames[kLevelCount] = {"organization", "project", "target", "service", "appDeployment"};

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool valid_part(std::string_view p) noexcept {
    if (p.empty() || p.size() > 64 || !std::isalpha(static_cast<unsigned char>(p[0]))) return false;
    for (char c : p)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                                     std::tolower(static_cast<unsigned char>(b[j - 1]))
                                                 ? 0
                                                 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

[[noreturn]] void bad_entry(const std::string& message, const std::string& hint = "") {
    throw Error(ErrorKind::InvalidTextRepresentation, message, "", hint);
}

}  // namespace

const char* level_name(Level level) noexcept { return kLevelNames[static_cast<int>(level)]; }

bool level_from_name(std::string_view name, Level* level) noexcept {
    for (int i = 0; i < kLevelCount; ++i)
        if (name == kLevelNames[i]) {
            *level = static_cast<Level>(i);
            return true;
        }
    return false;
}

const std::vector<PermissionSpec>& builtin_permissions() { return kBuiltin; }

bool PermissionCatalog::valid_name(std::string_view name) noexcept {
    std::size_t colon = name.find(':');
    return colon != std::string_view::npos && valid_part(name.substr(0, colon)) && valid_part(name.substr(colon + 1));
}

std::vector<std::string> depends_on_names(const PermissionSpec& p) {
    std::vector<std::string> deps;
    std::string_view d = p.depends_on;
    while (!d.empty()) {
        std::size_t comma = d.find(',');
        deps.emplace_back(trim(d.substr(0, comma)));
        d = comma == std::string_view::npos ? std::string_view() : d.substr(comma + 1);
    }
    return deps;
}

PermissionCatalog PermissionCatalog::builtin() {
    PermissionCatalog c;
    int bit = 0;
    for (const PermissionSpec& p : kBuiltin)
        c.add(bit++, p.name, p.level, p.group, p.label, p.assignable, p.retired, depends_on_names(p));
    c.finalize();
    return c;
}

void PermissionCatalog::add(int bit, std::string name, Level level, std::string group, std::string label,
                            bool assignable, bool retired, std::vector<std::string> depends_on) {
    if (bit < 0 || bit >= kScopeBits)
        throw Error(ErrorKind::InvalidParameterValue, "permission bit " + std::to_string(bit) + " is out of range",
                    "A scopes value holds at most " + std::to_string(kScopeBits) + " permissions.");
    if (!valid_name(name))
        throw Error(ErrorKind::InvalidParameterValue, "invalid permission name \"" + shown(name) + "\"", "",
                    "A permission is \"<resource>:<action>\", letters and digits, such as \"schemaVersion:publish\".");
    if (index_.count(name)) throw Error(ErrorKind::InvalidParameterValue, "permission \"" + name + "\" already exists");
    for (const Permission& p : permissions_)
        if (p.bit == bit) throw Error(ErrorKind::InvalidParameterValue, "permission bit " + std::to_string(bit) + " is taken");
    Permission p;
    p.bit = bit;
    std::size_t colon = name.find(':');
    p.resource = name.substr(0, colon);
    p.action = name.substr(colon + 1);
    p.name = std::move(name);
    p.level = level;
    p.group = std::move(group);
    p.label = std::move(label);
    p.assignable = assignable;
    p.retired = retired;
    p.depends_on_names = std::move(depends_on);
    p.depends_on = Scopes::none();
    index_.emplace(p.name, static_cast<int>(permissions_.size()));
    permissions_.push_back(std::move(p));
    rebuild_index();
}

void PermissionCatalog::rebuild_index() noexcept {
    for (auto& b : by_bit_) b = -1;
    active_ = retired_ = assignable_ = Scopes::none();
    for (auto& l : by_level_) l = Scopes::none();
    for (std::size_t i = 0; i < permissions_.size(); ++i) {
        const Permission& p = permissions_[i];
        by_bit_[p.bit] = static_cast<short>(i);
        (p.retired ? retired_ : active_).set(p.bit);
        if (p.assignable && !p.retired) assignable_.set(p.bit);
        if (!p.retired) by_level_[static_cast<int>(p.level)].set(p.bit);
    }
}

void PermissionCatalog::finalize() {
    for (Permission& p : permissions_) {
        p.depends_on = Scopes::none();
        for (const std::string& d : p.depends_on_names) {
            const Permission* dep = find(d);
            if (dep == nullptr)
                throw Error(ErrorKind::InvalidParameterValue,
                            "permission \"" + p.name + "\" depends on unknown permission \"" + shown(d) + "\"");
            p.depends_on.set(dep->bit);
        }
    }
}

const Permission* PermissionCatalog::find(std::string_view name) const {
    if (name.size() > kMaxPermissionName) return nullptr;  // no copy of hostile sizes
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &permissions_[it->second];
}

std::string PermissionCatalog::suggest(std::string_view bad) const {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(3, bad.size() / 3) + 1;
    if (bad.size() > 200) return best;
    for (const Permission& p : permissions_) {
        if (p.retired) continue;
        std::size_t d = edit_distance(bad, p.name);
        if (d < best_d) {
            best_d = d;
            best = p.name;
        }
    }
    return best;
}

Scopes PermissionCatalog::parse_entry(std::string_view raw) const {
    std::string_view e = trim(raw);
    if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = trim(e.substr(1, e.size() - 2));
    if (e.empty())
        bad_entry("invalid scopes: empty entry",
                  "Separate permissions with single commas: {schemaVersion:publish,usage:report}.");
    if (e == "*") return active_;
    std::size_t colon = e.find(':');
    if (colon == std::string_view::npos)
        bad_entry("invalid permission \"" + shown(e) + "\": a permission is \"<resource>:<action>\"",
                  "For example \"usage:report\", \"schemaCheck:*\" (every action of schemaCheck) or \"*\".");
    std::string_view resource = e.substr(0, colon), action = e.substr(colon + 1);
    if (resource == "*" || action == "*") {
        if (resource == "*" && action == "*") return active_;
        Scopes s = Scopes::none();
        for (const Permission& p : permissions_)
            if (!p.retired && (resource == "*" ? p.action == action : p.resource == resource)) s.set(p.bit);
        if (s.empty())
            bad_entry("unknown permission \"" + shown(e) + "\": no permission " +
                          (resource == "*" ? "has the action \"" + shown(action) + "\""
                                           : "belongs to \"" + shown(resource) + "\""),
                      "List the known permissions with SELECT name FROM hive_tokens.permissions.");
        return s;
    }
    const Permission* p = find(e);
    if (p == nullptr) {
        std::string near = suggest(e);
        bad_entry("unknown permission \"" + shown(e) + "\"",
                  near.empty() ? "List the known permissions with SELECT name FROM hive_tokens.permissions."
                               : "Did you mean \"" + near + "\"?");
    }
    Scopes s = Scopes::none();
    s.set(p->bit);
    return s;
}

Scopes PermissionCatalog::parse(std::string_view text) const {
    if (text.size() > kMaxScopesText)
        throw Error(ErrorKind::LimitExceeded,
                    "scopes literal too long: " + std::to_string(text.size()) + " bytes (at most " +
                        std::to_string(kMaxScopesText) + ")",
                    "", "A scopes value holds at most 256 permissions; list each once.");
    std::string_view t = trim(text);
    if (t.size() < 2 || t.front() != '{' || t.back() != '}')
        bad_entry("invalid scopes literal: it must be enclosed in braces",
                  "Write scopes as {schemaVersion:publish,usage:report}; {} is the empty set.");
    std::string_view body = trim(t.substr(1, t.size() - 2));
    Scopes s = Scopes::none();
    if (body.empty()) return s;
    while (true) {
        check_interrupts();
        std::size_t comma = body.find(',');
        s = s | parse_entry(body.substr(0, comma));
        if (comma == std::string_view::npos) break;
        body = body.substr(comma + 1);
    }
    return s;
}

std::string PermissionCatalog::format_stored(const Scopes& s) const {
    std::string out = "{";
    for (int b = s.next(0); b >= 0; b = s.next(b + 1)) {
        if (out.size() > 1) out += ',';
        if (const Permission* p = at(b)) out += p->name;
        out += '@';
        out += std::to_string(b);
    }
    out += '}';
    return out;
}

Scopes PermissionCatalog::parse_stored(std::string_view text, bool* kept_undefined) const {
    if (kept_undefined != nullptr) *kept_undefined = false;
    if (text.size() > kMaxScopesText)
        throw Error(ErrorKind::LimitExceeded,
                    "stored scopes too long: " + std::to_string(text.size()) + " bytes (at most " +
                        std::to_string(kMaxScopesText) + ")");
    std::string_view t = trim(text);
    if (t.size() < 2 || t.front() != '{' || t.back() != '}')
        bad_entry("invalid stored scopes: it must be enclosed in braces", "The stored form is {name@bit,...}.");
    std::string_view body = trim(t.substr(1, t.size() - 2));
    Scopes s = Scopes::none();
    while (!body.empty()) {
        check_interrupts();
        std::size_t comma = body.find(',');
        std::string_view e = trim(body.substr(0, comma));
        body = comma == std::string_view::npos ? std::string_view() : body.substr(comma + 1);
        std::size_t at_sign = e.rfind('@');
        if (at_sign == std::string_view::npos) {  // a plain entry: the scopes text form (0.1's dumps)
            const bool wildcard = e.find('*') != std::string_view::npos;
            if (!wildcard && find(trim(e)) == nullptr && valid_name(trim(e)))
                bad_entry("unknown permission \"" + shown(trim(e)) + "\" in stored scopes",
                          "A dump made by hive_tokens 0.1 names permissions without their bits: restore "
                          "hive_tokens.permissions before hive_tokens.access_tokens (pg_restore -l, move its line "
                          "up, pg_restore -L), or register the permission first.");
            s = s | parse_entry(e);
            continue;
        }
        std::string_view name = e.substr(0, at_sign), digits = e.substr(at_sign + 1);
        int bit = 0;
        bool ok = !digits.empty() && digits.size() <= 3;
        for (char c : digits) ok = ok && c >= '0' && c <= '9' && (bit = bit * 10 + (c - '0')) < kScopeBits;
        if (!ok) bad_entry("invalid stored scopes entry \"" + shown(e) + "\": expected <name>@<bit 0..255>");
        const Permission* here = at(bit);
        if (!name.empty()) {
            if (const Permission* p = find(name)) {  // known: this catalog's bit for the name
                s.set(p->bit);
                continue;
            }
            if (!valid_name(name)) bad_entry("invalid permission name \"" + shown(name) + "\" in stored scopes");
        }
        if (here != nullptr)
            bad_entry("stored scopes entry \"" + shown(e) + "\" does not match this permission catalog: bit " +
                          std::to_string(bit) + " is \"" + here->name + "\" here",
                      "Restore hive_tokens.permissions from the same dump: a token never takes a different permission.");
        s.set(bit);  // the catalog does not define this bit (yet): kept as given
        if (kept_undefined != nullptr) *kept_undefined = true;
    }
    return s;
}

std::vector<std::string> PermissionCatalog::names(const Scopes& s) const {
    std::vector<std::string> out;
    for (int b = s.next(0); b >= 0; b = s.next(b + 1)) {
        const Permission* p = at(b);
        if (p == nullptr)
            throw Error(ErrorKind::InvalidParameterValue,
                        "scopes value holds bit " + std::to_string(b) + ", which the permission catalog does not define",
                        "", "Restore or register the permission first: a restore loads hive_tokens.permissions too.");
        out.push_back(p->name);
    }
    return out;
}

std::string PermissionCatalog::format(const Scopes& s) const {
    std::string out = "{";
    bool first = true;
    for (const std::string& n : names(s)) {
        if (!first) out += ',';
        out += n;
        first = false;
    }
    out += '}';
    return out;
}

Scopes PermissionCatalog::closure(const Scopes& s) const noexcept {
    Scopes cur = s;
    while (true) {
        Scopes next = cur;
        for (int b = cur.next(0); b >= 0; b = cur.next(b + 1))
            if (const Permission* p = at(b)) next = next | p->depends_on;
        if (next == cur) return cur;
        cur = next;
    }
}

namespace {
void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
// The next big-endian int32 of `in` from *at, or an error naming what was being read.
std::int32_t get_be32(std::string_view in, std::size_t* at, const char* what) {
    if (in.size() - *at < 4)
        throw Error(ErrorKind::InvalidBinaryRepresentation,
                    std::string("binary scopes end before the ") + what + " (" + std::to_string(in.size()) + " bytes)");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[*at + static_cast<std::size_t>(i)]);
    *at += 4;
    return static_cast<std::int32_t>(v);
}
}  // namespace

std::string PermissionCatalog::encode_binary(const Scopes& s) const {
    std::vector<std::string> list = names(s);
    std::string out;
    put_be32(out, static_cast<std::uint32_t>(list.size()));
    for (const std::string& n : list) {
        put_be32(out, static_cast<std::uint32_t>(n.size()));
        out += n;
    }
    return out;
}

Scopes PermissionCatalog::decode_binary(std::string_view in) const {
    std::size_t at = 0;
    const std::int32_t count = get_be32(in, &at, "count");
    if (count < 0 || count > kScopeBits)
        throw Error(ErrorKind::InvalidBinaryRepresentation, "invalid scopes count " + std::to_string(count));
    Scopes s = Scopes::none();
    for (std::int32_t i = 0; i < count; ++i) {
        const std::int32_t len = get_be32(in, &at, "length of a permission name");
        if (len <= 0 || static_cast<std::size_t>(len) > kMaxBinaryName)
            throw Error(ErrorKind::InvalidBinaryRepresentation, "invalid permission name length " + std::to_string(len));
        if (in.size() - at < static_cast<std::size_t>(len))
            throw Error(ErrorKind::InvalidBinaryRepresentation,
                        "binary scopes end inside element " + std::to_string(i + 1) + " (" + std::to_string(in.size()) +
                            " bytes)");
        const std::string_view name = in.substr(at, static_cast<std::size_t>(len));
        at += static_cast<std::size_t>(len);
        if (!valid_name(name))
            throw Error(ErrorKind::InvalidBinaryRepresentation,
                        "invalid permission name in binary scopes (element " + std::to_string(i + 1) + ", " +
                            std::to_string(len) + " bytes)",
                        "", "A permission is \"<resource>:<action>\" of letters, digits and \"_\".");
        const Permission* p = find(name);
        if (p == nullptr)
            throw Error(ErrorKind::InvalidTextRepresentation, "unknown permission \"" + shown(name) + "\" in binary scopes",
                        "", "Register it in this database first (hive_tokens.register_permission).");
        s.set(p->bit);
    }
    if (at != in.size())
        throw Error(ErrorKind::InvalidBinaryRepresentation,
                    "binary scopes have " + std::to_string(in.size() - at) + " bytes after their last element");
    return s;
}

}  // namespace hive_tokens::core
