// libFuzzer target: the JSON reader, resource assignments and policy statements on arbitrary
// bytes. Invariants: every failure is a core::Error; a parsed assignment serializes to JSON that
// parses back to the same normalized JSON; intersecting with everything is the identity;
// statements that parse compile, and the compiled check agrees with the reference evaluator.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "assignment.h"
#include "error.h"
#include "json.h"
#include "json_text.h"
#include "permission_catalog.h"
#include "policy.h"

using namespace hive_tokens::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const PermissionCatalog cat = PermissionCatalog::builtin();
    std::string_view in(reinterpret_cast<const char*>(data), size);
    json::Value v;
    try {
        v = json::parse(in);
    } catch (const Error&) {
        return 0;
    }
    try {
        Assignment a = parse_assignment(v);
        std::string once = json::to_string(to_json(a));
        if (json::to_string(to_json(parse_assignment(once))) != once) std::abort();
        if (json::to_string(to_json(intersect(a, Assignment::everything()))) != once) std::abort();
    } catch (const Error&) {
    }
    try {
        std::vector<Statement> st = parse_statements(v, cat);
        CompiledPolicy compiled(st, cat);
        Uuid org{}, project{}, target{};
        org.b[0] = 0xaa;
        project.b[0] = 0xbb;
        target.b[0] = 0xcc;
        std::string svc = "products";
        for (const char* action : {"organization:describe", "project:describe", "usage:report", "schemaVersion:publish",
                                   "appDeployment:create"}) {
            Request r = make_request(*cat.find(action), org, nullptr, &project, &target, &svc, &svc);
            if (evaluate_reference(st, r) != compiled.check(r)) std::abort();
        }
    } catch (const Error&) {
    }
    return 0;
}
