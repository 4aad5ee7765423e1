// JSON values for the policy engine: resource assignments and policy statements arrive as jsonb,
// which the glue reads into these values (src/pg/jsonb_value.cpp); results are serialized back.
// Limits keep hostile input cheap: nesting depth and size.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hive_tokens::core::json {

constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;

struct Value {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    std::string text;  // String: the decoded string; Number: its literal text
    std::vector<Value> items;                          // Array
    std::vector<std::pair<std::string, Value>> members;  // Object, in input order

    bool is(Type t) const noexcept { return type == t; }
    // Object member by key, or nullptr (the last one wins for duplicate keys, as in jsonb).
    const Value* get(std::string_view key) const noexcept;
};

// Builders.
Value string_value(std::string s);
Value array_value(std::vector<Value> items);
Value object_value(std::vector<std::pair<std::string, Value>> members);

// Serializes (compact, members in the given order, strings escaped).
std::string to_string(const Value& v);
void append_quoted(std::string* out, std::string_view s);

const char* type_name(Value::Type t) noexcept;

// Throws Error(InvalidParameterValue) "invalid <document> at <path>: <what>" with `hint`: the
// readers of resource assignments and policy statements name the JSON path of every problem.
[[noreturn]] void invalid_at(const char* document, const std::string& path, const std::string& what, const char* hint);

}  // namespace hive_tokens::core::json
