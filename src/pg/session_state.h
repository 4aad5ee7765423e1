// What an earlier transaction of this session may have left behind for a later one (a pooled
// connection serves many clients): objects in the session's temporary schema (relations, types
// and domains, functions, which PostgreSQL finds before permanent ones by unqualified name for
// relations and types) and statements prepared with SQL PREPARE (which can replace a driver's
// named statement). Code planted so runs inside a later client's transaction, under its
// principal. authenticate(), try_authenticate() and act_as_member() refuse to set a principal
// while any is present, unless hive_tokens.allow_session_objects is on.
#pragma once
#include <string>

namespace hive_tokens::pg {

extern bool allow_session_objects;  // hive_tokens.allow_session_objects (superuser only)

// Chains object_access_hook and ProcessUtility_hook, which mark the session as possibly holding
// such objects; until the first check a session is presumed to hold some (the library may have
// been loaded after they were made).
void install_session_state_hooks();

// What this session holds ("2 temporary object(s) (a, b) and ..."), or "" when nothing or
// hive_tokens.allow_session_objects is on.
std::string session_holdings();

// Throws core::Error(ObjectNotInPrerequisiteState) naming what this session holds, when it holds
// any and hive_tokens.allow_session_objects is off. function: the caller's name, for the message.
void check_session_holds_nothing(const char* function);

}  // namespace hive_tokens::pg
