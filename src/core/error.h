// Error kinds reported by the pure C++ core. The PostgreSQL glue maps each kind to exactly
// one SQLSTATE (src/pg/guard.cpp); nothing in core knows about SQLSTATEs.
#pragma once
#include "core_guard.h"

#include <stdexcept>
#include <string>
#include <string_view>

namespace hive_tokens::core {

enum class ErrorKind {
    InvalidTextRepresentation,  // malformed literal (22P02)
    InvalidParameterValue,      // a well-formed but unacceptable argument (22023)
    InvalidBinaryRepresentation,  // malformed binary input (22P03)
    NullValue,                  // a required argument is NULL (22004)
    ConfigFile,                 // key file malformed or with unsafe permissions (F0000)
    UndefinedFile,              // key file missing (58P01)
    IoError,                    // key file unreadable (58030)
    OutOfMemory,                // an allocation limit (53200)
    LimitExceeded,              // input larger than a documented limit (54000)
    InvalidTransactionState,    // e.g. a second principal in one transaction (25000)
    InsufficientPrivilege,      // the principal or role may not do this (42501)
    ObjectNotInPrerequisiteState,  // the server is not set up for this (55000)
    UndefinedObject,            // code names something that does not exist, e.g. an unknown action (42704)
    Internal,                   // a bug: should never happen (XX000)
};

// An exception carrying a stable kind plus message/detail/hint. Messages never contain
// secret material: callers pass positions and lengths, never token text.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message, std::string detail = {}, std::string hint = {})
        : std::runtime_error(message), kind_(kind), detail_(std::move(detail)), hint_(std::move(hint)) {}
    ErrorKind kind() const noexcept { return kind_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    ErrorKind kind_;
    std::string detail_;
    std::string hint_;
};

// Text from input shown in a message: at most 64 characters, cut at a character boundary, with
// control characters, backslashes and bytes that are not valid UTF-8 escaped (\n, \\, \xNN), so
// a message never carries raw bytes (binary input, other encodings) or line breaks.
std::string shown(std::string_view text);

// Host hook for long loops over input: the PostgreSQL glue installs one that services pending
// interrupts (query cancel, statement_timeout, terminate), which it does by throwing; core code is
// exception-safe, so a cancelled parse unwinds cleanly. Without a hook (unit tests) it does nothing.
using InterruptCheck = void (*)();
void set_interrupt_check(InterruptCheck check) noexcept;
extern InterruptCheck g_interrupt_check;
inline void check_interrupts() {
    if (g_interrupt_check != nullptr) g_interrupt_check();
}

}  // namespace hive_tokens::core
