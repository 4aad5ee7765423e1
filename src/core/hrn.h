// Hive resource names (HRN) and patterns, as Hive writes them:
//
//   hrn:<orgId|*>:organization/<orgId|*>
//   hrn:<orgId|*>:project/<projectId|*>
//   hrn:<orgId|*>:target/<targetId|*>
//   hrn:<orgId|*>:target/<targetId>/service/<serviceName|*>
//   hrn:<orgId|*>:target/<targetId>/appDeployment/<appName|*>
//   hrn:<orgId|*>:*          and a trailing "/*" after any of the above
//
// Matching follows Hive's Session.assertPerformAction: the organization part is '*' or equal;
// paths compare segment by segment, a '*' that is the pattern's last segment matches the whole
// remaining path (an empty one too), a '*' anywhere else only the literal text '*'.
#pragma once
#include "core_guard.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "uuid.h"

namespace hive_tokens::core {

// The longest resource name: "hrn:" + UUID + ":target/" + UUID + "/appDeployment/" + a 200-byte
// name is 299 bytes; anything longer is refused before it is looked at.
constexpr std::size_t kMaxHrnBytes = 512;


// A service or app deployment name: 1..200 bytes, no '/', ':' or control characters, not "*".
bool valid_resource_name(std::string_view name) noexcept;

struct Hrn {
    bool any_org = false;
    Uuid org{};
    std::string path;  // canonical, e.g. "target/<uuid>/service/products"

    std::string text() const;  // "hrn:<org|*>:<path>"
};

// Parses and validates; throws Error(InvalidTextRepresentation) naming the part that is wrong.
// UUIDs are canonicalised to lower case.
Hrn parse_hrn(std::string_view text);

// Hive's isResourceIdMatch on '/'-separated paths.
bool path_matches(std::string_view pattern, std::string_view resource) noexcept;

// pattern covers resource: organization part '*' or equal, and path_matches.
bool hrn_matches(const Hrn& pattern, const Hrn& resource) noexcept;

}  // namespace hive_tokens::core
