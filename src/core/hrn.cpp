#include "hrn.h"

#include <cstring>

#include "error.h"

namespace hive_tokens::core {

bool valid_resource_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 200 || name == "*") return false;
    for (char c : name) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '/' || c == ':' || u < 0x20 || u == 0x7f) return false;
    }
    return true;
}

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& what) {
    throw Error(ErrorKind::InvalidTextRepresentation, "invalid resource name \"" + shown(text) + "\": " + what, "",
                "Resource names look like hrn:<organization id>:project/<project id>; see the reference, \"Type hrn\".");
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos) return out;
        start = p + 1;
    }
}

// A UUID or '*' at an id position; appends its canonical form.
void id_segment(std::string_view text, std::string_view seg, const char* after, std::string* out) {
    if (seg == "*") {
        *out += '*';
        return;
    }
    Uuid u;
    if (!parse_uuid(seg, &u)) bad(text, std::string("expected a UUID or * after \"") + after + "/\"");
    *out += u.text();
}

}  // namespace

std::string Hrn::text() const { return "hrn:" + (any_org ? std::string("*") : org.text()) + ":" + path; }

Hrn parse_hrn(std::string_view text) {
    Hrn h;
    if (text.size() > kMaxHrnBytes)
        bad(text, "longer than " + std::to_string(kMaxHrnBytes) + " bytes (" + std::to_string(text.size()) + ")");
    if (text.substr(0, 4) != "hrn:") bad(text, "it must start with \"hrn:\"");
    std::string_view rest = text.substr(4);
    std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) bad(text, "expected \"hrn:<organization id or *>:<resource>\"");
    std::string_view org = rest.substr(0, colon);
    std::string_view path = rest.substr(colon + 1);
    if (org == "*") {
        h.any_org = true;
    } else if (!parse_uuid(org, &h.org)) {
        bad(text, "the organization part must be a UUID or *");
    }
    if (path.empty()) bad(text, "the resource path is empty");
    if (path.find(':') != std::string_view::npos) bad(text, "':' is not allowed in the resource path");

    std::vector<std::string_view> seg = split(path, '/');
    std::string& p = h.path;
    if (seg.size() == 1 && seg[0] == "*") {
        p = "*";
        return h;
    }
    const std::string_view kind = seg[0];
    if (kind != "organization" && kind != "project" && kind != "target")
        bad(text, "unknown resource type \"" + shown(kind) + "\" (expected organization, project, target or *)");
    if (seg.size() < 2) bad(text, "expected \"" + std::string(kind) + "/<id>\"");
    p.append(kind);
    p += '/';
    id_segment(text, seg[1], std::string(kind).c_str(), &p);
    if (seg.size() == 2) return h;
    if (seg.size() == 3 && seg[2] == "*") {
        p += "/*";
        return h;
    }
    if (kind != "target")
        bad(text, "only \"*\" may follow \"" + std::string(kind) + "/<id>\"");
    const std::string_view sub = seg[2];
    if (sub != "service" && sub != "appDeployment")
        bad(text, "expected \"service\", \"appDeployment\" or \"*\" after \"target/<id>/\"");
    if (seg.size() < 4) bad(text, "expected a name after \"" + std::string(sub) + "/\"");
    if (seg.size() > 4) bad(text, "nothing may follow the " + std::string(sub == "service" ? "service" : "app deployment") + " name");
    p += '/';
    p.append(sub);
    p += '/';
    if (seg[3] == "*") {
        p += '*';
    } else {
        if (!valid_resource_name(seg[3]))
            bad(text, std::string("invalid ") + (sub == "service" ? "service" : "app deployment") +
                          " name (1 to 200 characters, no '/', ':' or control characters)");
        p.append(seg[3]);
    }
    return h;
}

bool path_matches(std::string_view pattern, std::string_view resource) noexcept {
    // Hive: split both on '/', shift one segment of each per round; a '*' with nothing after it
    // in the pattern matches; otherwise the segments must be equal (an exhausted side is
    // "undefined", equal only to another exhausted side); loop while either side has segments.
    std::size_t pp = 0, rp = 0;
    bool p_done = false, r_done = false;
    auto next = [](std::string_view s, std::size_t* pos, bool* done) -> std::string_view {
        if (*done) return std::string_view();
        std::size_t slash = s.find('/', *pos);
        std::string_view seg = s.substr(*pos, slash == std::string_view::npos ? std::string_view::npos : slash - *pos);
        if (slash == std::string_view::npos) {
            *done = true;
        } else {
            *pos = slash + 1;
        }
        return seg;
    };
    do {
        bool p_had = !p_done, r_had = !r_done;
        std::string_view ps = next(pattern, &pp, &p_done);
        std::string_view rs = next(resource, &rp, &r_done);
        if (p_had && ps == "*" && p_done) return true;
        if (p_had != r_had || ps != rs) return false;
    } while (!p_done || !r_done);
    return true;
}

bool hrn_matches(const Hrn& pattern, const Hrn& resource) noexcept {
    if (!pattern.any_org && (resource.any_org || pattern.org != resource.org)) return false;
    return path_matches(pattern.path, resource.path);
}

}  // namespace hive_tokens::core
