// A set of permissions as a fixed-width bitset: bit i is the permission with catalog bit i.
// 256 bits, four 64-bit words; every operation is a handful of word operations.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>

namespace hive_tokens::core {

constexpr int kScopeBits = 256;
constexpr int kScopeWords = kScopeBits / 64;

struct Scopes {
    std::uint64_t w[kScopeWords];

    static constexpr Scopes none() noexcept { return Scopes{{0, 0, 0, 0}}; }
    bool test(int bit) const noexcept { return (w[bit >> 6] >> (bit & 63)) & 1u; }
    void set(int bit) noexcept { w[bit >> 6] |= std::uint64_t{1} << (bit & 63); }
    void clear(int bit) noexcept { w[bit >> 6] &= ~(std::uint64_t{1} << (bit & 63)); }
    bool empty() const noexcept { return (w[0] | w[1] | w[2] | w[3]) == 0; }
    int count() const noexcept {
        return __builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) + __builtin_popcountll(w[2]) +
               __builtin_popcountll(w[3]);
    }
    // Next set bit at or after `from`, or -1.
    int next(int from) const noexcept {
        for (int i = from; i < kScopeBits;) {
            std::uint64_t word = w[i >> 6] >> (i & 63);
            if (word) return i + __builtin_ctzll(word);
            i = (i | 63) + 1;
        }
        return -1;
    }
};

inline Scopes operator|(const Scopes& a, const Scopes& b) noexcept {
    return Scopes{{a.w[0] | b.w[0], a.w[1] | b.w[1], a.w[2] | b.w[2], a.w[3] | b.w[3]}};
}
inline Scopes operator&(const Scopes& a, const Scopes& b) noexcept {
    return Scopes{{a.w[0] & b.w[0], a.w[1] & b.w[1], a.w[2] & b.w[2], a.w[3] & b.w[3]}};
}
// Set difference a - b.
inline Scopes operator-(const Scopes& a, const Scopes& b) noexcept {
    return Scopes{{a.w[0] & ~b.w[0], a.w[1] & ~b.w[1], a.w[2] & ~b.w[2], a.w[3] & ~b.w[3]}};
}
inline bool operator==(const Scopes& a, const Scopes& b) noexcept {
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0;
}
inline bool operator!=(const Scopes& a, const Scopes& b) noexcept { return !(a == b); }
// a contains every permission of b.
inline bool contains(const Scopes& a, const Scopes& b) noexcept { return (b - a).empty(); }
inline bool overlaps(const Scopes& a, const Scopes& b) noexcept { return !(a & b).empty(); }
// A total order for btree: word by word, unsigned.
inline int compare(const Scopes& a, const Scopes& b) noexcept {
    for (int i = 0; i < kScopeWords; ++i)
        if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
}

static_assert(sizeof(Scopes) == 32, "Scopes is stored as exactly 32 bytes");

}  // namespace hive_tokens::core
