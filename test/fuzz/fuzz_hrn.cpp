// libFuzzer target: the HRN parser and Hive's path matcher on arbitrary bytes.
// Invariants: parsing either succeeds or throws core::Error (never crashes or hangs); a parsed
// HRN prints to text that parses back to the same text; a pattern with a final "*" matches
// itself; path matching never reads out of bounds.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.h"
#include "hrn.h"

using namespace hive_tokens::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    try {
        Hrn h = parse_hrn(in);
        std::string text = h.text();
        if (parse_hrn(text).text() != text) std::abort();
        if (!hrn_matches(h, h) && text.find('*') == std::string::npos) std::abort();  // exact names match themselves
    } catch (const Error&) {
    }
    // the matcher on raw halves of the input
    std::size_t half = size / 2;
    (void)path_matches(in.substr(0, half), in.substr(half));
    return 0;
}
