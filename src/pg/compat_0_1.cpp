// The C symbols hive_tokens--0.1.sql names. 0.2 names every entry point after its SQL function
// (one grep leads from SQL to C++); a database still at 0.1 (installed, or restored, and not yet
// updated) calls the library through 0.1's declarations, and CREATE EXTENSION ... VERSION '0.1'
// checks each symbol. Each old name forwards to the new one. Remove with 0.1's install script.
#include "pg_includes.h"

#define HT_RENAMED(old_name, new_name)                                   \
    extern "C" {                                                         \
    Datum new_name(PG_FUNCTION_ARGS);                                    \
    PG_FUNCTION_INFO_V1(old_name);                                       \
    Datum old_name(PG_FUNCTION_ARGS) { return new_name(fcinfo); }        \
    }

HT_RENAMED(hive_tokens_act_as_member, act_as_member)
HT_RENAMED(hive_tokens_allowed_projects, allowed_projects)
HT_RENAMED(hive_tokens_allowed_targets, allowed_targets)
HT_RENAMED(hive_tokens_assert_can, assert_can)
HT_RENAMED(hive_tokens_authenticate, authenticate)
HT_RENAMED(hive_tokens_can, can)
HT_RENAMED(hive_tokens_current_organization_id, current_organization_id)
HT_RENAMED(hive_tokens_current_principal_kind, current_principal_kind)
HT_RENAMED(hive_tokens_current_scopes, current_scopes)
HT_RENAMED(hive_tokens_current_token_id, current_token_id)
HT_RENAMED(hive_tokens_denied_projects, denied_projects)
HT_RENAMED(hive_tokens_denied_targets, denied_targets)
HT_RENAMED(hive_tokens_evaluate, evaluate)
HT_RENAMED(hive_tokens_hash, hash)
HT_RENAMED(hive_tokens_intersect_resources, intersect_resources)
HT_RENAMED(hive_tokens_keyring, keyring)
HT_RENAMED(hive_tokens_mint, mint)
HT_RENAMED(hive_tokens_normalize_resources, normalize_resources)
HT_RENAMED(hive_tokens_organization_wide, organization_wide)
HT_RENAMED(hive_tokens_permissions_changed, permissions_changed)
HT_RENAMED(hive_tokens_policy_statements, policy_statements)
HT_RENAMED(hive_tokens_row_check_targets, row_check_targets)
HT_RENAMED(hive_tokens_verify, verify)
HT_RENAMED(hive_tokens_verify_reason, verify_reason)
HT_RENAMED(hrn_covered_by, hrn_matched_by)
HT_RENAMED(hrn_covers, hrn_matches)
HT_RENAMED(scopes_assignable, assignable_scopes)
HT_RENAMED(scopes_builtin_permissions, builtin_permissions)
HT_RENAMED(scopes_depends_closure, depends_closure)
HT_RENAMED(scopes_from_array, scopes)
HT_RENAMED(scopes_has, has_permission)
HT_RENAMED(scopes_has_all, has_all_permissions)
HT_RENAMED(scopes_has_any, has_any_permission)
HT_RENAMED(scopes_labels, labels)
HT_RENAMED(scopes_missing_dependencies, missing_dependencies)
HT_RENAMED(scopes_permission_count, permission_count)
HT_RENAMED(scopes_retired, retired_scopes)
HT_RENAMED(scopes_to_array, permission_names)
HT_RENAMED(scopes_valid_permission_name, valid_permission_name)

// 0.1 shipped the boundary self-test in the product; 0.2 moved it to a test-only module and
// drops the function when it updates. Until then it says so.
extern "C" {
PG_FUNCTION_INFO_V1(hive_tokens_guard_selftest);
Datum hive_tokens_guard_selftest(PG_FUNCTION_ARGS) {
    ereport(ERROR, (errextension(), errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("the boundary self-test is not part of this build of hive_tokens"),
                    errhint("Run ALTER EXTENSION hive_tokens UPDATE; the test suite builds its own self-test module.")));
    PG_RETURN_NULL();
}
}
