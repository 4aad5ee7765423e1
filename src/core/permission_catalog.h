// The permission catalog: every permission (action) a scopes value can hold, with its bit,
// resource level, UI group and label, whether organization tokens may hold it, whether it is
// retired, and what it depends on. Hive's full list is built in (builtin_permissions()); the
// database table hive_tokens.permissions is seeded from it and users append their own.
// Bits are append-only: a bit, once given to a name, is never reused.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scopes.h"

namespace hive_tokens::core {

// A permission name is <resource>:<action>, each part 1..64 letters, digits and '_'.
constexpr std::size_t kMaxPermissionName = 64 + 1 + 64;
// The longest scopes literal accepted (every permission spelled out, with room for spaces and
// duplicates, is far less).
constexpr std::size_t kMaxScopesText = 64 * 1024;

enum class Level { Organization, Project, Target, Service, AppDeployment };
constexpr int kLevelCount = 5;

const char* level_name(Level level) noexcept;  // "organization", "project", "target", "service", "appDeployment"
bool level_from_name(std::string_view name, Level* level) noexcept;

struct PermissionSpec {
    const char* name;
    Level level;
    const char* group;
    const char* label;
    bool assignable;  // organization access tokens may hold it (Hive's assignable list)
    bool retired;     // kept for old grants; never in new grants or wildcards
    const char* depends_on;  // comma-separated names, or ""
};

// Hive's permissions in catalog order (the order of the reference; bits 0, 1, 2, ...).
const std::vector<PermissionSpec>& builtin_permissions();

// A built-in permission's depends-on names, split.
std::vector<std::string> depends_on_names(const PermissionSpec& p);

struct Permission {
    int bit;
    std::string name;
    std::string resource;  // before ':'
    std::string action;    // after ':'
    Level level;
    std::string group;
    std::string label;
    bool assignable;
    bool retired;
    std::vector<std::string> depends_on_names;
    Scopes depends_on;  // resolved by finalize()
};

class PermissionCatalog {
public:
    // Hive's built-in permissions at bits 0..n-1.
    static PermissionCatalog builtin();

    // Adds a permission; throws Error(InvalidParameterValue) for a bad name, a duplicate name or
    // bit, or a bit out of range. Call finalize() after the last add().
    void add(int bit, std::string name, Level level, std::string group, std::string label, bool assignable,
             bool retired, std::vector<std::string> depends_on);
    // Resolves depends-on names; throws if one is unknown.
    void finalize();

    const Permission* find(std::string_view name) const;
    const Permission* at(int bit) const noexcept {
        return bit >= 0 && bit < kScopeBits && by_bit_[bit] >= 0 ? &permissions_[by_bit_[bit]] : nullptr;
    }
    std::size_t size() const noexcept { return permissions_.size(); }

    // Parses a literal "{a:b, c:*, *:describe, *}". Throws Error(InvalidTextRepresentation)
    // naming the bad entry (truncated) and suggesting the closest known permission, or
    // Error(LimitExceeded) for a literal longer than kMaxScopesText.
    Scopes parse(std::string_view text) const;
    // One entry: a name, "<resource>:*", "*:<action>" or "*".
    Scopes parse_entry(std::string_view entry) const;
    // Canonical text: catalog (bit) order, no duplicates, "{}" when empty.
    std::string format(const Scopes& s) const;

    // The stored form (type stored_scopes): every permission with its bit, "{usage:report@24,
    // invoice:read@49}", so a dump restores without the catalog in place yet and a catalog that
    // disagrees is noticed. A bit the catalog does not define prints as "@49".
    std::string format_stored(const Scopes& s) const;
    // Reads the stored form. An entry "name@bit" takes this catalog's bit for name; a name this
    // catalog lacks keeps its bit only if the bit is free here (the catalog has not been restored
    // yet), else it is an error naming both permissions: a grant never silently becomes another.
    // "@bit" is accepted only for a free bit. Plain entries (the scopes text form, as 0.1 dumped
    // tokens) are read as parse() reads them. Throws Error(InvalidTextRepresentation).
    // *kept_undefined (when given) says whether a bit this catalog does not define was kept.
    Scopes parse_stored(std::string_view text, bool* kept_undefined = nullptr) const;
    std::vector<std::string> names(const Scopes& s) const;

    // The binary form of type scopes (COPY BINARY, binary parameters): a big-endian int32 count,
    // then per permission a big-endian int32 length and the name's bytes. Names, not bits: bits
    // are local to a database, so binary data moved between databases maps every name to the
    // target's own bit, and a name the target does not know is an error.
    std::string encode_binary(const Scopes& s) const;
    // Reads all of `bytes`. Throws Error(InvalidBinaryRepresentation) for a count outside
    // 0..kScopeBits, a length outside 1..kMaxBinaryName, missing or trailing bytes, or a name
    // that is not a well-formed permission name (never echoed: it may be any bytes), and
    // Error(InvalidTextRepresentation) naming a well-formed permission this catalog lacks.
    static constexpr std::size_t kMaxBinaryName = 200;
    Scopes decode_binary(std::string_view bytes) const;

    Scopes active() const noexcept { return active_; }
    Scopes retired() const noexcept { return retired_; }
    Scopes assignable() const noexcept { return assignable_; }
    Scopes of_level(Level level) const noexcept { return by_level_[static_cast<int>(level)]; }
    // s plus everything it depends on, transitively.
    Scopes closure(const Scopes& s) const noexcept;
    // What s lacks of its own dependencies.
    Scopes missing_dependencies(const Scopes& s) const noexcept { return closure(s) - s; }
    // The closest active permission name to `bad`, or "" if none is close.
    std::string suggest(std::string_view bad) const;

    static bool valid_name(std::string_view name) noexcept;

private:
    std::vector<Permission> permissions_;
    std::unordered_map<std::string, int> index_;  // name -> position in permissions_
    short by_bit_[kScopeBits];  // bit -> position in permissions_, -1 if free (indices keep copies valid)
    Scopes active_ = Scopes::none(), retired_ = Scopes::none(), assignable_ = Scopes::none();
    Scopes by_level_[kLevelCount] = {Scopes::none(), Scopes::none(), Scopes::none(), Scopes::none(), Scopes::none()};

    void rebuild_index() noexcept;

public:
    PermissionCatalog() noexcept { rebuild_index(); }
};


}  // namespace hive_tokens::core
