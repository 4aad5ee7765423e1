#include "jsonb_text.h"

#include "../core/error.h"
#include "guard.h"

namespace hive_tokens::pg {

std::string jsonb_text(Jsonb* jb) {
    // The text form is at most a few times the binary size (escapes), and the core checks it again.
    const std::size_t size = VARSIZE(jb);
    if (size > core::json::kMaxBytes)
        throw core::Error(core::ErrorKind::LimitExceeded,
                          "JSON document too large: " + std::to_string(size) + " bytes (at most " +
                              std::to_string(core::json::kMaxBytes) + ")");
    char* s = nullptr;
    pg_call([&]() noexcept { s = JsonbToCString(nullptr, &jb->root, static_cast<int>(size)); });
    std::string out(s);
    pfree(s);
    return out;
}

}  // namespace hive_tokens::pg
