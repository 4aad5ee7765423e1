// Hostile sizes: every parser refuses input over its limit before expanding it, messages show at
// most a short, escaped excerpt of the input, and long loops call the host's interrupt hook.
#include <gtest/gtest.h>

#include <string>

#include "assignment.h"
#include "error.h"
#include "hrn.h"
#include "json.h"
#include "json_text.h"
#include "permission_catalog.h"
#include "policy.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = PermissionCatalog::builtin();
    return c;
}

template <typename F>
Error caught(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no core::Error thrown";
    return Error(ErrorKind::Internal, "none");
}

// An interrupt hook that counts its calls and "cancels" (throws) at the n-th.
int g_calls = 0;
int g_cancel_at = 0;
struct Cancelled {};
void counting_hook() {
    if (++g_calls == g_cancel_at) throw Cancelled{};
}
struct HookGuard {
    explicit HookGuard(int cancel_at) {
        g_calls = 0;
        g_cancel_at = cancel_at;
        set_interrupt_check(counting_hook);
    }
    ~HookGuard() { set_interrupt_check(nullptr); }
};

}  // namespace

TEST(Shown, EscapesControlBytesAndInvalidUtf8) {
    EXPECT_EQ(shown("usage:report"), "usage:report");
    EXPECT_EQ(shown("a\nb\tc"), "a\\nb\\x09c");
    EXPECT_EQ(shown("back\\slash"), "back\\\\slash");
    EXPECT_EQ(shown("caf\xc3\xa9"), "caf\xc3\xa9");             // valid UTF-8 is kept
    EXPECT_EQ(shown("bad\xff\xc3"), "bad\\xff\\xc3");           // invalid bytes are escaped
    EXPECT_EQ(shown("\xed\xa0\x80"), "\\xed\\xa0\\x80");        // a UTF-16 surrogate is not UTF-8
    EXPECT_EQ(shown("\xc0\xaf"), "\\xc0\\xaf");                 // nor is an overlong form
    EXPECT_EQ(shown("a\xc2\x85" "b"), "a\\u{0085}b");              // C1 control (NEL)
    EXPECT_EQ(shown("x\xe2\x80\xae" "y"), "x\\u{202e}y");          // right-to-left override
    EXPECT_EQ(shown("\xe2\x81\xa6" "z\xef\xbb\xbf"), "\\u{2066}z\\u{feff}");  // isolate, BOM
}

TEST(Shown, CutsAtSixtyFourCharactersOnACharacterBoundary) {
    std::string s(63, 'a');
    s += "\xc3\xa9\xc3\xa9";
    std::string out = shown(s);
    EXPECT_EQ(out, std::string(63, 'a') + "\xc3\xa9...");
    EXPECT_EQ(shown(std::string(10 * 1000 * 1000, 'x')).size(), 64u + 3u);
}

TEST(Limits, HrnLongerThanAnyValidNameIsRefusedUpFront) {
    std::string longest = "hrn:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa:target/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/appDeployment/" +
                          std::string(200, 'n');
    EXPECT_NO_THROW(parse_hrn(longest));
    EXPECT_LE(longest.size(), kMaxHrnBytes);
    std::string hostile = "hrn:*:target/" + std::string(20 * 1000 * 1000, '/');
    Error e = caught([&] { parse_hrn(hostile); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidTextRepresentation);
    EXPECT_NE(std::string(e.what()).find("longer than 512 bytes"), std::string::npos);
    EXPECT_LT(std::string(e.what()).size(), 300u);
}

TEST(Limits, ScopesLiteralOverLimit) {
    std::string body;
    while (body.size() <= kMaxScopesText) body += "usage:report,";
    Error e = caught([&] { cat().parse("{" + body + "usage:report}"); });
    EXPECT_EQ(e.kind(), ErrorKind::LimitExceeded);
    // just under the limit still parses
    std::string ok = "{" + body.substr(0, kMaxScopesText - 200);
    ok = ok.substr(0, ok.rfind(',')) + "}";
    EXPECT_NO_THROW(cat().parse(ok));
}

TEST(Limits, LongNamesAreNeverCopiedOrSuggested) {
    std::string hostile(50 * 1000 * 1000, 'x');
    EXPECT_EQ(cat().find(hostile), nullptr);
    EXPECT_EQ(cat().suggest(hostile), "");
    Error e = caught([&] { cat().parse_entry(hostile + ":read"); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidTextRepresentation);
    EXPECT_LT(std::string(e.what()).size(), 200u);
}

TEST(Limits, JsonOverLimit) {
    std::string doc = "[" + std::string(json::kMaxBytes, ' ') + "]";
    Error e = caught([&] { json::parse(doc); });
    EXPECT_EQ(e.kind(), ErrorKind::LimitExceeded);
}

TEST(Interrupts, JsonParseCallsTheHookPerValue) {
    std::string doc = "[";
    for (int i = 0; i < 10000; ++i) doc += i ? ",[]" : "[]";
    doc += "]";
    {
        HookGuard g(0);  // never cancels: counts
        json::parse(doc);
        EXPECT_GE(g_calls, 10000);
    }
    HookGuard g(5000);
    EXPECT_THROW(json::parse(doc), Cancelled);
    EXPECT_EQ(g_calls, 5000);
}

TEST(Interrupts, ScopesParseCallsTheHookPerEntry) {
    std::string lit = "{";
    for (int i = 0; i < 2000; ++i) lit += i ? ",usage:report" : "usage:report";
    lit += "}";
    HookGuard g(1000);
    EXPECT_THROW(cat().parse(lit), Cancelled);
}

TEST(Interrupts, AssignmentAndStatementLoopsCallTheHook) {
    std::string projects;
    for (int i = 0; i < 3000; ++i) {
        char id[37];
        std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        projects += std::string(i ? "," : "") + R"({"type": "project", "id": ")" + id + R"(", "targets": {"mode": "*"}})";
    }
    std::string doc = R"({"mode": "granular", "projects": [)" + projects + "]}";
    {
        HookGuard g(0);
        parse_assignment(doc);
        int after_parse = g_calls;
        json::Value v = json::parse(doc);
        int json_only = g_calls - after_parse;
        EXPECT_GE(after_parse - json_only, 3000);  // one per project on top of the JSON reader's
    }
    std::string statements = "[";
    for (int i = 0; i < 3000; ++i)
        statements += std::string(i ? "," : "") + R"({"effect": "allow", "action": "usage:report", "resource": "hrn:*:*"})";
    statements += "]";
    HookGuard g(0);
    std::vector<Statement> st = parse_statements(statements, cat());
    int parsed = g_calls;
    CompiledPolicy compiled(st, cat());
    EXPECT_GE(g_calls - parsed, 3000);  // compiling checks once per action
}
