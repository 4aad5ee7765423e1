// JSON text for the tests (the extension reads jsonb values, never text): a reader with the
// core's limits, and the text forms of the core's JSON entry points.
#pragma once
#include <string_view>
#include <vector>

#include "assignment.h"
#include "json.h"
#include "permission_catalog.h"
#include "policy.h"

namespace hive_tokens::core {
namespace json {
// Parses a whole document; throws Error(InvalidParameterValue) saying what and where is wrong,
// Error(LimitExceeded) beyond kMaxBytes; nesting is limited to kMaxDepth.
Value parse(std::string_view text);
}  // namespace json

Assignment parse_assignment(std::string_view json_text);
std::vector<Statement> parse_statements(std::string_view json_text, const PermissionCatalog& cat);

}  // namespace hive_tokens::core
