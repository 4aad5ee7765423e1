#include "error.h"

#include <cstdint>
#include <cstdio>
#include <new>

namespace hive_tokens::core {

InterruptCheck g_interrupt_check = nullptr;

void set_interrupt_check(InterruptCheck check) noexcept { g_interrupt_check = check; }

namespace {

// Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong forms,
// surrogates and code points above U+10FFFF are not valid).
std::size_t utf8_sequence(const unsigned char* s, std::size_t n) noexcept {
    unsigned char c = s[0];
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

std::uint32_t code_point(const unsigned char* s, std::size_t len) noexcept {
    std::uint32_t cp = len == 2 ? s[0] & 0x1F : len == 3 ? s[0] & 0x0F : s[0] & 0x07;
    for (std::size_t i = 1; i < len; ++i) cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

// C1 controls, line and paragraph separators, bidirectional controls and zero-width characters:
// valid text that would reorder or hide what a message shows.
bool invisible_or_reordering(std::uint32_t cp) noexcept {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

}  // namespace

std::string shown(std::string_view text) {
    constexpr std::size_t kMaxChars = 64;
    static const char hex[] = "0123456789abcdef";
    std::string out;
    std::size_t chars = 0, i = 0;
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    while (i < text.size() && chars < kMaxChars) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c == '\\') {
            out += "\\\\";
            ++i;
        } else if (c == '\n') {
            out += "\\n";
            ++i;
        } else if (std::size_t len = c >= 0x80 ? utf8_sequence(s + i, text.size() - i) : 0; len > 0) {
            std::uint32_t cp = code_point(s + i, len);
            if (invisible_or_reordering(cp)) {  // shown as \u{XXXX}, never acted on by a terminal
                char buf[16];
                std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
                out += buf;
            } else {
                out.append(text.substr(i, len));
            }
            i += len;
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
            ++i;
        }
        ++chars;
    }
    if (i < text.size()) out += "...";
    return out;
}

}  // namespace hive_tokens::core
