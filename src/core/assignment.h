// Resource assignments: which resources a grant covers, in Hive's stored JSON model
//
//   {"mode": "*"}                                                      everything
//   {"mode": "granular", "projects": [{"type": "project", "id": <uuid>,
//       "targets": {"mode": "*"} | {"mode": "granular", "targets": [{"type": "target", "id": <uuid>,
//           "services": {"mode": "*"} | {"mode": "granular", "services": [{"type": "service", "serviceName": <name>}]},
//           "appDeployments": {"mode": "*"} | {"mode": "granular", "appDeployments": [{"type": "appDeployment", "appName": <name>}]}}]}}]}
//
// plus our extension: an optional "deny" list of resources carved out of the grant,
//   "deny": [{"type": "project", "id": ...} | {"type": "target", "id": ...}
//            | {"type": "service", "targetId": ..., "serviceName": ...}
//            | {"type": "appDeployment", "targetId": ..., "appName": ...}]
//
// Parsing validates everything Hive leaves unchecked (ids are UUIDs, names are valid, no
// duplicates) and normalizes: lists sorted by id or name, unknown keys dropped (as Hive's model
// drops them), so equal assignments have equal JSON.
#pragma once
#include "core_guard.h"

#include <string>
#include <vector>

#include "hrn.h"
#include "json.h"

namespace hive_tokens::core {

struct NameSet {
    bool all = true;
    std::vector<std::string> names;  // sorted, unique; used when !all
};

struct TargetAssignment {
    Uuid id;
    NameSet services;
    NameSet app_deployments;
};

struct ProjectAssignment {
    Uuid id;
    bool all_targets = true;
    std::vector<TargetAssignment> targets;  // sorted by id; used when !all_targets
};

struct DenyEntry {
    enum class Kind { Project, Target, Service, AppDeployment } kind;
    Uuid id;           // project id, or target id for the other kinds
    std::string name;  // service or app name
    bool operator<(const DenyEntry& o) const;
    bool operator==(const DenyEntry& o) const;
};

struct Assignment {
    bool all = true;
    std::vector<ProjectAssignment> projects;  // sorted by id; used when !all
    std::vector<DenyEntry> deny;              // sorted, unique

    static Assignment everything() { return Assignment{}; }
};

// Validates a JSON value; throws Error(InvalidParameterValue) naming the JSON path of the problem.
Assignment parse_assignment(const json::Value& v);
json::Value to_json(const Assignment& a);

// Hive's intersectResourceAssignments ('*' with X is X), with deny lists united.
Assignment intersect(const Assignment& a, const Assignment& b);

// Project tokens, as Hive keeps them. What issue() stores for a token of `project`: that one
// project in granular form, with its targets as `given` names them (all of them when `given` is
// '*'); the deny list as given. A granular `given` must name that project and no other
// (Error(InvalidParameterValue) otherwise).
Assignment project_token_grant(const Assignment& given, const Uuid& project);
// What a stored project token's assignment grants: nothing below the organization when stored as
// '*' (Hive builds its statements as granular with no projects), else the stored assignment
// limited to the token's own project.
Assignment project_token_effective(const Assignment& stored, const Uuid& project);

}  // namespace hive_tokens::core
