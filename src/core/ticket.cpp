#include "ticket.h"

#include <sodium.h>

#include <cstring>
#include <new>

#include "error.h"

namespace hive_tokens::core {

namespace {

constexpr std::string_view kPrefix = "htk1.";
constexpr char kDomain[] = "hive_tokens ticket v1";  // with its NUL: sizeof kDomain bytes
constexpr int kFields = 12;
constexpr std::size_t kMacBytes = 32;

void put_field(std::string* body, std::string_view v) {
    const std::uint32_t n = static_cast<std::uint32_t>(v.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                         static_cast<char>(n)};
    body->append(len, 4);
    body->append(v.data(), v.size());
}

std::string_view uuid_bytes(const Uuid& u) { return std::string_view(reinterpret_cast<const char*>(u.b), 16); }

void mac_of(const ServerKey& key, std::string_view body, std::uint8_t out[kMacBytes]) noexcept {
    crypto_generichash_state st;
    crypto_generichash_init(&st, key.bytes, kKeyBytes, kMacBytes);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    crypto_generichash_final(&st, out, kMacBytes);
    sodium_memzero(&st, sizeof st);
}

std::string base64url(std::string_view bin) {
    std::string s(sodium_base64_encoded_len(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(&s[0], s.size(), reinterpret_cast<const unsigned char*>(bin.data()), bin.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    s.pop_back();  // the NUL
    return s;
}

bool from_base64url(std::string_view text, std::string* out) {
    out->assign(text.size(), '\0');  // decoded is never longer than encoded
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(&(*out)[0]), out->size(), text.data(), text.size(), nullptr,
                          &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    if (end != text.data() + text.size()) return false;
    out->resize(len);
    return true;
}

// A decimal int64 as seal_ticket writes it: optional '-', 1..19 digits, no leading zero.
bool parse_int64(std::string_view s, std::int64_t* out) noexcept {
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.remove_prefix(1);
    if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *out = neg ? -v : v;
    return true;
}

TicketCheck open(std::string_view text, const Keyring& ring, std::int64_t now, std::string_view database,
                 std::string_view role, std::string_view transaction, Ticket* out) {
    if (text.size() > kMaxTicketBytes || text.substr(0, kPrefix.size()) != kPrefix) return TicketCheck::Malformed;
    text.remove_prefix(kPrefix.size());
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos) return TicketCheck::Malformed;
    std::string body, mac;
    if (!from_base64url(text.substr(0, dot), &body) || !from_base64url(text.substr(dot + 1), &mac) ||
        mac.size() != kMacBytes)
        return TicketCheck::Malformed;
    std::string_view f[kFields];
    std::string_view rest(body);
    for (auto& field : f) {
        if (rest.size() < 4) return TicketCheck::Malformed;
        const auto* p = reinterpret_cast<const unsigned char*>(rest.data());
        const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
        rest.remove_prefix(4);
        if (n > rest.size()) return TicketCheck::Malformed;
        field = rest.substr(0, n);
        rest.remove_prefix(n);
    }
    if (!rest.empty()) return TicketCheck::Malformed;
    Ticket t;
    std::int64_t key_id = 0;
    if (!parse_int64(f[0], &key_id) || key_id < 1 || key_id > 32767) return TicketCheck::Malformed;
    t.key_id = static_cast<int>(key_id);
    if (!parse_int64(f[3], &t.issued_at) || !parse_int64(f[4], &t.expires_at)) return TicketCheck::Malformed;
    if (f[5] == "token")
        t.is_token = true;
    else if (f[5] != "member")
        return TicketCheck::Malformed;
    if ((t.is_token ? f[6].size() != 16 : !f[6].empty()) || (!f[7].empty() && f[7].size() != 16) || f[8].size() != 16)
        return TicketCheck::Malformed;
    const ServerKey* key = ring.find(t.key_id);
    if (key == nullptr) return TicketCheck::UnknownKey;
    std::uint8_t expected[kMacBytes];
    mac_of(*key, body, expected);
    const bool authentic = crypto_verify_32(expected, reinterpret_cast<const unsigned char*>(mac.data())) == 0;
    sodium_memzero(expected, sizeof expected);
    if (!authentic) return TicketCheck::BadMac;
    // Only sealed values from here on: a forger learns nothing about the checks below.
    if (t.expires_at <= t.issued_at || t.expires_at - t.issued_at > kMaxTicketLifetimeUs) return TicketCheck::Malformed;
    if (now >= t.expires_at) return TicketCheck::Expired;
    if (t.issued_at > now && t.issued_at - now > kTicketClockSkewUs) return TicketCheck::NotYetValid;
    if (f[1] != database) return TicketCheck::WrongDatabase;
    if (f[2] != role) return TicketCheck::WrongRole;
    if (f[11] != transaction) return TicketCheck::WrongTransaction;
    t.database.assign(f[1]);
    t.role.assign(f[2]);
    if (t.is_token) std::memcpy(t.token_id.b, f[6].data(), 16);
    t.has_user = !f[7].empty();
    if (t.has_user) std::memcpy(t.user_id.b, f[7].data(), 16);
    std::memcpy(t.organization.b, f[8].data(), 16);
    t.scopes.assign(f[9]);
    t.resources.assign(f[10]);
    t.transaction.assign(f[11]);
    *out = std::move(t);
    return TicketCheck::Ok;
}

}  // namespace

const char* ticket_check_name(TicketCheck c) noexcept {
    switch (c) {
        case TicketCheck::Ok: return "ok";
        case TicketCheck::Malformed: return "malformed";
        case TicketCheck::UnknownKey: return "unknown_key";
        case TicketCheck::BadMac: return "bad_mac";
        case TicketCheck::Expired: return "expired";
        case TicketCheck::NotYetValid: return "not_yet_valid";
        case TicketCheck::WrongDatabase: return "wrong_database";
        case TicketCheck::WrongRole: return "wrong_role";
        case TicketCheck::WrongTransaction: return "wrong_transaction";
    }
    return "unknown";
}

std::string seal_ticket(const ServerKey& key, const Ticket& t) {
    if (t.expires_at <= t.issued_at || t.expires_at - t.issued_at > kMaxTicketLifetimeUs)
        throw Error(ErrorKind::InvalidParameterValue, "a ticket's lifetime must be between 1 microsecond and 1 hour");
    const std::size_t size = 4 * kFields + 64 + t.database.size() + t.role.size() + 64 + t.scopes.size() + t.resources.size() +
                             t.transaction.size();
    if (size / 3 * 4 + 64 > kMaxTicketBytes)
        throw Error(ErrorKind::LimitExceeded, "the principal's grants are too large to carry in a ticket",
                    "A ticket holds at most " + std::to_string(kMaxTicketBytes / 1024) + " kB.",
                    "Grant fewer resources by name (a whole project or organization), or keep this principal's "
                    "queries off distributed tables.");
    std::string body;
    body.reserve(size);
    put_field(&body, std::to_string(key.id));
    put_field(&body, t.database);
    put_field(&body, t.role);
    put_field(&body, std::to_string(t.issued_at));
    put_field(&body, std::to_string(t.expires_at));
    put_field(&body, t.is_token ? "token" : "member");
    put_field(&body, t.is_token ? uuid_bytes(t.token_id) : std::string_view());
    put_field(&body, t.has_user ? uuid_bytes(t.user_id) : std::string_view());
    put_field(&body, uuid_bytes(t.organization));
    put_field(&body, t.scopes);
    put_field(&body, t.resources);
    put_field(&body, t.transaction);
    std::uint8_t mac[kMacBytes];
    mac_of(key, body, mac);
    std::string s(kPrefix);
    s += base64url(body);
    s += '.';
    s += base64url(std::string_view(reinterpret_cast<const char*>(mac), kMacBytes));
    if (s.size() > kMaxTicketBytes)
        throw Error(ErrorKind::LimitExceeded, "the principal's grants are too large to carry in a ticket");
    return s;
}

TicketCheck open_ticket(std::string_view text, const Keyring& ring, std::int64_t now, std::string_view database,
                        std::string_view role, std::string_view transaction, Ticket* out) noexcept {
    try {
        return open(text, ring, now, database, role, transaction, out);
    } catch (const std::bad_alloc&) {
        return TicketCheck::Malformed;  // fail closed
    }
}

}  // namespace hive_tokens::core
