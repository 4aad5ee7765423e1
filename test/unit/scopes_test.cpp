#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <set>
#include <string>

#include "error.h"
#include "permission_catalog.h"
#include "scopes.h"

using namespace hive_tokens::core;

namespace {

const PermissionCatalog& cat() {
    static const PermissionCatalog c = PermissionCatalog::builtin();
    return c;
}

Scopes random_scopes() {
    Scopes s = Scopes::none();
    for (int i = 0; i < kScopeWords; ++i) s.w[i] = (static_cast<std::uint64_t>(randombytes_random()) << 32) | randombytes_random();
    return s;
}

std::string error_of(std::string_view text) {
    try {
        cat().parse(text);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidTextRepresentation);
        return std::string(e.what()) + " | " + e.hint();
    }
    return "";
}

}  // namespace

TEST(Catalog, BuiltinMatchesHivesReference) {
    const PermissionCatalog& c = cat();
    EXPECT_EQ(c.size(), 49u);  // 43 current + 6 retired
    EXPECT_EQ(c.of_level(Level::Organization).count(), 16);
    EXPECT_EQ(c.of_level(Level::Project).count(), 8);
    EXPECT_EQ(c.of_level(Level::Target).count(), 12);
    EXPECT_EQ(c.of_level(Level::Service).count(), 4);
    EXPECT_EQ(c.of_level(Level::AppDeployment).count(), 3);
    EXPECT_EQ(c.retired().count(), 6);
    // Hive's list of permissions assignable to organization access tokens, exactly.
    std::set<std::string> expected = {
        "organization:describe", "member:describe", "member:modify", "accessToken:modify", "project:describe",
        "project:create", "project:delete", "project:modifySettings", "target:create", "target:delete",
        "target:modifySettings", "cdnAccessToken:modify", "usage:report", "traces:report", "schema:compose",
        "schemaCheck:create", "schemaCheck:approve", "schemaVersion:publish", "schemaVersion:deleteService",
        "appDeployment:create", "appDeployment:publish", "appDeployment:retire"};
    std::vector<std::string> got = c.names(c.assignable());
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected);
    EXPECT_EQ(c.find("member:modify")->depends_on, c.parse("{member:describe}"));
    EXPECT_EQ(c.find("schemaVersion:publish")->label, "Publish schema/service/subgraph");
    EXPECT_EQ(c.find("usage:report")->group, "Usage Reporting and Tracing");
    EXPECT_TRUE(c.find("member:assignRole")->retired);
    EXPECT_EQ(c.size(), 49u);  // Hive's 43 current permissions and 6 retired ones, bits 0..48
}

TEST(Catalog, ParseNamesAndCanonicalOutput) {
    const PermissionCatalog& c = cat();
    Scopes s = c.parse("{usage:report,schemaVersion:publish}");
    EXPECT_EQ(s.count(), 2);
    EXPECT_EQ(c.format(s), "{usage:report,schemaVersion:publish}");  // catalog order: target before service
    EXPECT_EQ(c.format(c.parse("{schemaVersion:publish,usage:report}")), "{usage:report,schemaVersion:publish}");
    EXPECT_EQ(c.format(c.parse("  {  usage:report ,\tusage:report  }  ")), "{usage:report}");  // whitespace, duplicates
    EXPECT_EQ(c.format(c.parse("{\"usage:report\"}")), "{usage:report}");
    EXPECT_EQ(c.format(c.parse("{}")), "{}");
    EXPECT_EQ(c.format(c.parse("{ }")), "{}");
    EXPECT_TRUE(c.parse("{}").empty());
    // output parses back to the same set
    for (int i = 0; i < 200; ++i) {
        Scopes r = random_scopes() & c.active();
        EXPECT_EQ(c.parse(c.format(r)), r);
    }
}

TEST(Catalog, Wildcards) {
    const PermissionCatalog& c = cat();
    EXPECT_EQ(c.parse("{*}"), c.active());
    EXPECT_EQ(c.parse("{*:*}"), c.active());
    EXPECT_FALSE(overlaps(c.parse("{*}"), c.retired()));
    EXPECT_EQ(c.format(c.parse("{schemaCheck:*}")), "{schemaCheck:create,schemaCheck:approve}");
    EXPECT_EQ(c.format(c.parse("{*:describe}")),
              "{organization:describe,billing:describe,member:describe,project:describe,laboratory:describe,"
              "schemaProposal:describe}");
    // <scope>:* skips retired actions of that scope
    EXPECT_EQ(c.format(c.parse("{appDeployment:*}")), "{appDeployment:create,appDeployment:publish,appDeployment:retire}");
    EXPECT_NE(error_of("{nosuch:*}").find("no permission belongs to \"nosuch\""), std::string::npos);
    EXPECT_NE(error_of("{*:nosuch}").find("no permission has the action \"nosuch\""), std::string::npos);
}

TEST(Catalog, RetiredNamesParseButAreNotActive) {
    const PermissionCatalog& c = cat();
    Scopes s = c.parse("{member:assignRole}");
    EXPECT_EQ(s.count(), 1);
    EXPECT_TRUE(contains(c.retired(), s));
    EXPECT_EQ(c.format(s), "{member:assignRole}");
}

TEST(Catalog, BadInput) {
    EXPECT_NE(error_of("{usage:reprot}").find("unknown permission \"usage:reprot\" | Did you mean \"usage:report\"?"),
              std::string::npos);
    EXPECT_NE(error_of("{Usage:Report}").find("Did you mean \"usage:report\"?"), std::string::npos);
    EXPECT_NE(error_of("{zzzzzzzzzz:qqqqqqqqqqqq}").find("List the known permissions"), std::string::npos);
    EXPECT_NE(error_of("usage:report").find("enclosed in braces"), std::string::npos);
    EXPECT_NE(error_of("{usage:report").find("enclosed in braces"), std::string::npos);
    EXPECT_NE(error_of("").find("enclosed in braces"), std::string::npos);
    EXPECT_NE(error_of("{usage}").find("a permission is \"<resource>:<action>\""), std::string::npos);
    EXPECT_NE(error_of("{usage:report,}").find("empty entry"), std::string::npos);
    EXPECT_NE(error_of("{,}").find("empty entry"), std::string::npos);
    std::string huge = "{" + std::string(10240, 'a') + ":b}";
    std::string msg = error_of(huge);
    EXPECT_NE(msg.find("unknown permission"), std::string::npos);
    EXPECT_LT(msg.size(), 400u);  // the 10 KB entry is cut, not echoed
}

TEST(Catalog, LevelsAndClosure) {
    const PermissionCatalog& c = cat();
    EXPECT_EQ(c.closure(c.parse("{member:modify}")), c.parse("{member:describe,member:modify}"));
    EXPECT_EQ(c.missing_dependencies(c.parse("{member:modify,usage:report}")), c.parse("{member:describe}"));
    EXPECT_TRUE(c.missing_dependencies(c.parse("{member:modify,member:describe}")).empty());
    Level l;
    ASSERT_TRUE(level_from_name("appDeployment", &l));
    EXPECT_EQ(l, Level::AppDeployment);
    EXPECT_FALSE(level_from_name("Service", &l));
    EXPECT_STREQ(level_name(Level::Target), "target");
}

TEST(Catalog, UserPermissionsAndValidation) {
    PermissionCatalog c = PermissionCatalog::builtin();
    c.add(49, "invoice:read", Level::Organization, "Billing", "Read invoices", true, false, {"billing:describe"});
    c.add(50, "invoice:pay", Level::Organization, "Billing", "Pay invoices", false, false, {"invoice:read"});
    c.finalize();
    EXPECT_EQ(c.format(c.parse("{invoice:*}")), "{invoice:read,invoice:pay}");
    EXPECT_EQ(c.format(c.closure(c.parse("{invoice:pay}"))), "{billing:describe,invoice:read,invoice:pay}");
    PermissionCatalog copy = c;  // copies stay valid
    EXPECT_EQ(copy.at(50)->name, "invoice:pay");
    EXPECT_THROW(c.add(51, "invoice:read", Level::Organization, "", "", true, false, {}), Error);  // duplicate name
    EXPECT_THROW(c.add(50, "invoice:void", Level::Organization, "", "", true, false, {}), Error);  // bit taken
    EXPECT_THROW(c.add(256, "invoice:void", Level::Organization, "", "", true, false, {}), Error);
    EXPECT_THROW(c.add(51, "invoice", Level::Organization, "", "", true, false, {}), Error);
    EXPECT_THROW(c.add(51, "in voice:x", Level::Organization, "", "", true, false, {}), Error);
    c.add(51, "invoice:void", Level::Organization, "", "", true, false, {"no:such"});
    EXPECT_THROW(c.finalize(), Error);
}

// Property-style checks of the set algebra on random sets.
TEST(ScopesAlgebra, Properties) {
    ASSERT_GE(sodium_init(), 0);
    for (int i = 0; i < 5000; ++i) {
        Scopes a = random_scopes(), b = random_scopes();
        if (i % 7 == 0) b = a;
        if (i % 11 == 0) b = Scopes::none();
        Scopes u = a | b, n = a & b, d = a - b;
        ASSERT_TRUE(contains(u, a) && contains(u, b));
        ASSERT_TRUE(contains(a, n) && contains(b, n));
        ASSERT_FALSE(overlaps(d, b));
        ASSERT_TRUE(contains(a, d));
        ASSERT_EQ(d | n, a);
        ASSERT_EQ(u.count(), a.count() + b.count() - n.count());
        ASSERT_EQ(overlaps(a, b), !n.empty());
        ASSERT_EQ(contains(a, b), (b - a).empty());
        ASSERT_EQ(compare(a, b) == 0, a == b);
        ASSERT_EQ(compare(a, b), -compare(b, a));
        int seen = 0;
        for (int bit = a.next(0); bit >= 0; bit = a.next(bit + 1)) {
            ASSERT_TRUE(a.test(bit));
            ++seen;
        }
        ASSERT_EQ(seen, a.count());
    }
    Scopes s = Scopes::none();
    s.set(0);
    s.set(63);
    s.set(64);
    s.set(255);
    EXPECT_EQ(s.count(), 4);
    EXPECT_EQ(s.next(1), 63);
    EXPECT_EQ(s.next(65), 255);
    s.clear(255);
    EXPECT_EQ(s.next(65), -1);
}

// The stored form: name@bit, read back without the catalog in place, never as another permission.
TEST(StoredScopes, RoundTripAndRemapByName) {
    PermissionCatalog source = PermissionCatalog::builtin();
    const int invoice_bit = static_cast<int>(source.size());  // the bit after the built-in ones
    source.add(invoice_bit, "invoice:read", Level::Organization, "Billing", "Read invoices", true, false, {});
    source.finalize();
    Scopes s = source.parse("{usage:report,invoice:read}");
    std::string stored = source.format_stored(s);
    EXPECT_EQ(stored, "{usage:report@" + std::to_string(source.find("usage:report")->bit) + ",invoice:read@" +
                          std::to_string(invoice_bit) + "}");
    EXPECT_EQ(source.parse_stored(stored), s);

    // a catalog that lacks invoice:read (not restored yet): the free bit is kept as given
    const PermissionCatalog& fresh = cat();
    EXPECT_EQ(fresh.parse_stored(stored), s);
    EXPECT_EQ(fresh.format_stored(s), "{usage:report@" + std::to_string(source.find("usage:report")->bit) + ",@" +
                                          std::to_string(invoice_bit) + "}");

    // a catalog with invoice:read at another bit: mapped by name
    PermissionCatalog other = PermissionCatalog::builtin();
    other.add(invoice_bit, "audit:read", Level::Organization, "Audit", "Read audit", true, false, {});
    other.add(invoice_bit + 1, "invoice:read", Level::Organization, "Billing", "Read invoices", true, false, {});
    other.finalize();
    Scopes mapped = other.parse_stored(stored);
    EXPECT_TRUE(mapped.test(invoice_bit + 1));
    EXPECT_FALSE(mapped.test(invoice_bit));

    // a catalog where that bit is another permission and the name is unknown: an error, never audit:read
    PermissionCatalog conflicting = PermissionCatalog::builtin();
    conflicting.add(invoice_bit, "admin:all", Level::Organization, "Danger", "Everything", true, false, {});
    conflicting.finalize();
    try {
        conflicting.parse_stored(stored);
        ADD_FAILURE() << "a conflicting catalog was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidTextRepresentation);
        EXPECT_NE(std::string(e.what()).find("admin:all"), std::string::npos);
    }
    // "@bit" without a name: only for a bit this catalog leaves free
    EXPECT_TRUE(fresh.parse_stored("{@" + std::to_string(invoice_bit) + "}").test(invoice_bit));
    EXPECT_THROW(conflicting.parse_stored("{@" + std::to_string(invoice_bit) + "}"), Error);
}

TEST(StoredScopes, PlainNamesAsZeroOneDumpedThemAndBadInput) {
    Scopes s = cat().parse_stored("{usage:report,schemaVersion:publish}");
    EXPECT_EQ(s, cat().parse("{usage:report,schemaVersion:publish}"));
    EXPECT_EQ(cat().parse_stored("{}"), Scopes::none());
    for (const char* bad : {"usage:report@24", "{usage:report@}", "{usage:report@256}", "{usage:report@-1}",
                            "{usage:report@1x}", "{bad name@60}", "{nosuch:perm}"})
        EXPECT_THROW(cat().parse_stored(bad), Error) << bad;
    EXPECT_THROW(cat().parse_stored(std::string(kMaxScopesText + 1, ' ')), Error);
    // a registered permission named without its bit (a 0.1 dump restored before the permissions
    // table) says how to reorder the restore
    try {
        cat().parse_stored("{billing:invoice}");
        ADD_FAILURE() << "an unknown plain name was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown permission \"billing:invoice\""), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("pg_restore -L"), std::string::npos) << e.hint();
    }
}

namespace {
std::string be32(std::uint32_t v) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
    return out;
}
std::string binary_of(std::initializer_list<std::string_view> names) {
    std::string out = be32(static_cast<std::uint32_t>(names.size()));
    for (std::string_view n : names) out += be32(static_cast<std::uint32_t>(n.size())) + std::string(n);
    return out;
}
// The error decode_binary raises, as "<kind>: <message>", or "" when it succeeds.
std::string binary_error(std::string_view bytes) {
    try {
        cat().decode_binary(bytes);
    } catch (const Error& e) {
        return std::string(e.kind() == ErrorKind::InvalidBinaryRepresentation ? "22P03" : "other") + ": " + e.what();
    }
    return "";
}
}  // namespace

// The binary form COPY BINARY and binary parameters use: names with lengths, read back to the
// same set whatever the order or duplicates; every malformed input is 22P03 (the unknown name
// 22P02), never a crash, never the raw bytes in the message.
TEST(ScopesBinary, RoundTripsAndAcceptsAnyOrder) {
    for (int i = 0; i < 200; ++i) {
        Scopes s = random_scopes() & cat().active();
        const std::string bytes = cat().encode_binary(s);
        EXPECT_EQ(cat().decode_binary(bytes), s);
    }
    EXPECT_EQ(cat().encode_binary(Scopes::none()), be32(0));
    EXPECT_EQ(cat().decode_binary(binary_of({"usage:report", "schemaVersion:publish", "usage:report"})),
              cat().parse("{schemaVersion:publish,usage:report}"));
}

TEST(ScopesBinary, RefusesMalformedInput) {
    EXPECT_EQ(binary_error(""), "22P03: binary scopes end before the count (0 bytes)");
    EXPECT_EQ(binary_error(be32(100000)), "22P03: invalid scopes count 100000");
    EXPECT_EQ(binary_error(be32(0xffffffffu)), "22P03: invalid scopes count -1");
    EXPECT_EQ(binary_error(be32(2) + be32(12) + "usage:report"), "22P03: binary scopes end before the length of a permission name (20 bytes)");
    EXPECT_EQ(binary_error(be32(1) + be32(5000) + std::string(5000, 'a')), "22P03: invalid permission name length 5000");
    EXPECT_EQ(binary_error(be32(1) + be32(0)), "22P03: invalid permission name length 0");
    EXPECT_EQ(binary_error(be32(1) + be32(12) + "usage:rep"), "22P03: binary scopes end inside element 1 (17 bytes)");
    EXPECT_EQ(binary_error(binary_of({"usage:report"}) + "x"), "22P03: binary scopes have 1 bytes after their last element");
    EXPECT_EQ(binary_error(binary_of({"usage:report", "bad\nname:\xff\xfe"})),
              "22P03: invalid permission name in binary scopes (element 2, 11 bytes)");
    EXPECT_EQ(binary_error(binary_of({"invoice:read"})), "other: unknown permission \"invoice:read\" in binary scopes");
}
