#include "jsonb_value.h"

#include <string>
#include <vector>

#include "../core/error.h"
#include "guard.h"

extern "C" {
#include "miscadmin.h"
#include "utils/fmgrprotos.h"
}

namespace hive_tokens::pg {

namespace json = core::json;

namespace {

// One step of the jsonb iterator, as plain data: collected inside pg_call (PostgreSQL may raise
// there), then turned into C++ values with no PostgreSQL call in between.
struct Step {
    JsonbIteratorToken token;
    jbvType type;     // for keys, values and elements
    const char* text;  // a string (not NUL-terminated, in the jsonb); numbers keep no text: nothing
                       // the core reads is a number, and printing one (1e131000) can be huge
    int len;
    bool boolean;
};

enum class Failure { None, TooDeep };

Failure read_steps(Jsonb* jb, Step** out, int* n) noexcept {
    int cap = 64, count = 0, depth = 0;
    Step* steps = static_cast<Step*>(palloc(sizeof(Step) * cap));
    JsonbIterator* it = JsonbIteratorInit(&jb->root);
    JsonbValue v;
    JsonbIteratorToken tok;
    while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
        CHECK_FOR_INTERRUPTS();
        if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT) {
            if (++depth > static_cast<int>(json::kMaxDepth)) return Failure::TooDeep;
        } else if (tok == WJB_END_ARRAY || tok == WJB_END_OBJECT) {
            --depth;
        }
        if (count == cap) {
            cap *= 2;
            steps = static_cast<Step*>(repalloc(steps, sizeof(Step) * cap));
        }
        Step& s = steps[count++];
        s.token = tok;
        s.type = (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar) ? jbvNull : v.type;
        s.text = nullptr;
        s.len = 0;
        s.boolean = false;
        if (tok == WJB_BEGIN_ARRAY) s.boolean = v.val.array.rawScalar;  // a top-level scalar
        if (tok == WJB_KEY || tok == WJB_VALUE || tok == WJB_ELEM) {
            if (v.type == jbvString) {
                s.text = v.val.string.val;
                s.len = v.val.string.len;
            } else if (v.type == jbvBool) {
                s.boolean = v.val.boolean;
            }
        }
    }
    *out = steps;
    *n = count;
    return Failure::None;
}

json::Value scalar(const Step& s) {
    json::Value v;
    switch (s.type) {
        case jbvString: v.type = json::Value::Type::String; v.text.assign(s.text, s.len); break;
        case jbvNumeric: v.type = json::Value::Type::Number; break;
        case jbvBool: v.type = json::Value::Type::Bool; v.boolean = s.boolean; break;
        default: v.type = json::Value::Type::Null; break;
    }
    return v;
}

}  // namespace

json::Value jsonb_value(Jsonb* jb) {
    const std::size_t size = VARSIZE(jb);
    if (size > json::kMaxBytes)
        throw core::Error(core::ErrorKind::LimitExceeded, "JSON document too large: " + std::to_string(size) +
                                                              " bytes (at most " + std::to_string(json::kMaxBytes) + ")");
    Step* steps = nullptr;
    int n = 0;
    Failure failure = Failure::None;
    pg_call([&]() noexcept { failure = read_steps(jb, &steps, &n); });
    if (failure == Failure::TooDeep)
        throw core::Error(core::ErrorKind::InvalidParameterValue,
                          "JSON document nested deeper than " + std::to_string(json::kMaxDepth) + " levels");
    // Rebuild the tree: a stack of the containers being filled, the pending key of each object.
    json::Value root;
    std::vector<json::Value*> open;
    std::vector<std::string> keys;
    auto place = [&](json::Value v) -> json::Value* {
        if (open.empty()) {
            root = std::move(v);
            return &root;
        }
        json::Value* top = open.back();
        if (top->is(json::Value::Type::Array)) {
            top->items.push_back(std::move(v));
            return &top->items.back();
        }
        top->members.emplace_back(std::move(keys.back()), std::move(v));
        return &top->members.back().second;
    };
    bool raw_scalar = false;
    for (int i = 0; i < n; ++i) {
        core::check_interrupts();
        const Step& s = steps[i];
        switch (s.token) {
            case WJB_BEGIN_ARRAY:
                if (s.boolean) {  // a top-level scalar comes as a one-element array
                    raw_scalar = true;
                    break;
                }
                [[fallthrough]];
            case WJB_BEGIN_OBJECT: {
                json::Value c;
                c.type = s.token == WJB_BEGIN_ARRAY ? json::Value::Type::Array : json::Value::Type::Object;
                open.push_back(place(std::move(c)));
                keys.emplace_back();
                break;
            }
            case WJB_END_ARRAY:
            case WJB_END_OBJECT:
                if (raw_scalar && open.empty()) break;
                open.pop_back();
                keys.pop_back();
                break;
            case WJB_KEY: keys.back().assign(s.text, s.len); break;
            case WJB_VALUE:
            case WJB_ELEM:
                if (raw_scalar && open.empty()) {
                    root = scalar(s);
                    break;
                }
                place(scalar(s));
                break;
            default: break;
        }
    }
    return root;
}

Datum jsonb_datum(const json::Value& v) {
    std::string text = json::to_string(v);
    Datum d = 0;
    pg_call([&]() noexcept { d = DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str())); });
    return d;
}

}  // namespace hive_tokens::pg
