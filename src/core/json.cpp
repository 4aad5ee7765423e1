#include "json.h"

#include "error.h"

namespace hive_tokens::core::json {

namespace {

void serialize(std::string* out, const Value& v) {
    switch (v.type) {
        case Value::Type::Null: *out += "null"; break;
        case Value::Type::Bool: *out += v.boolean ? "true" : "false"; break;
        case Value::Type::Number: *out += v.text; break;
        case Value::Type::String: append_quoted(out, v.text); break;
        case Value::Type::Array: {
            *out += '[';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) *out += ", ";
                serialize(out, v.items[i]);
            }
            *out += ']';
            break;
        }
        case Value::Type::Object: {
            *out += '{';
            for (std::size_t i = 0; i < v.members.size(); ++i) {
                if (i) *out += ", ";
                append_quoted(out, v.members[i].first);
                *out += ": ";
                serialize(out, v.members[i].second);
            }
            *out += '}';
            break;
        }
    }
}

}  // namespace

const Value* Value::get(std::string_view key) const noexcept {
    const Value* found = nullptr;
    for (const auto& m : members)
        if (m.first == key) found = &m.second;
    return found;
}

Value string_value(std::string s) {
    Value v;
    v.type = Value::Type::String;
    v.text = std::move(s);
    return v;
}

Value array_value(std::vector<Value> items) {
    Value v;
    v.type = Value::Type::Array;
    v.items = std::move(items);
    return v;
}

Value object_value(std::vector<std::pair<std::string, Value>> members) {
    Value v;
    v.type = Value::Type::Object;
    v.members = std::move(members);
    return v;
}

void append_quoted(std::string* out, std::string_view s) {
    static const char hexd[] = "0123456789abcdef";
    out->push_back('"');
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': *out += "\\\""; break;
            case '\\': *out += "\\\\"; break;
            case '\n': *out += "\\n"; break;
            case '\r': *out += "\\r"; break;
            case '\t': *out += "\\t"; break;
            case '\b': *out += "\\b"; break;
            case '\f': *out += "\\f"; break;
            default:
                if (u < 0x20) {
                    *out += "\\u00";
                    out->push_back(hexd[u >> 4]);
                    out->push_back(hexd[u & 15]);
                } else {
                    out->push_back(c);
                }
        }
    }
    out->push_back('"');
}

std::string to_string(const Value& v) {
    std::string out;
    serialize(&out, v);
    return out;
}

const char* type_name(Value::Type t) noexcept {
    switch (t) {
        case Value::Type::Null: return "null";
        case Value::Type::Bool: return "a boolean";
        case Value::Type::Number: return "a number";
        case Value::Type::String: return "a string";
        case Value::Type::Array: return "an array";
        case Value::Type::Object: return "an object";
    }
    return "a value";
}

void invalid_at(const char* document, const std::string& path, const std::string& what, const char* hint) {
    throw Error(ErrorKind::InvalidParameterValue, std::string("invalid ") + document + " at " + path + ": " + what, "", hint);
}

}  // namespace hive_tokens::core::json
