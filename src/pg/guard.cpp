#include "guard.h"

#include <cstring>
#include <new>

namespace hive_tokens::pg {

int sqlstate_for(core::ErrorKind kind) noexcept {
    switch (kind) {
        case core::ErrorKind::InvalidTextRepresentation: return ERRCODE_INVALID_TEXT_REPRESENTATION;
        case core::ErrorKind::InvalidParameterValue: return ERRCODE_INVALID_PARAMETER_VALUE;
        case core::ErrorKind::InvalidBinaryRepresentation: return ERRCODE_INVALID_BINARY_REPRESENTATION;
        case core::ErrorKind::NullValue: return ERRCODE_NULL_VALUE_NOT_ALLOWED;
        case core::ErrorKind::ConfigFile: return ERRCODE_CONFIG_FILE_ERROR;
        case core::ErrorKind::UndefinedFile: return ERRCODE_UNDEFINED_FILE;
        case core::ErrorKind::UndefinedObject: return ERRCODE_UNDEFINED_OBJECT;
        case core::ErrorKind::IoError: return ERRCODE_IO_ERROR;
        case core::ErrorKind::OutOfMemory: return ERRCODE_OUT_OF_MEMORY;
        case core::ErrorKind::LimitExceeded: return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
        case core::ErrorKind::InvalidTransactionState: return ERRCODE_INVALID_TRANSACTION_STATE;
        case core::ErrorKind::ObjectNotInPrerequisiteState: return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
        case core::ErrorKind::InsufficientPrivilege: return ERRCODE_INSUFFICIENT_PRIVILEGE;
        case core::ErrorKind::Internal: return ERRCODE_INTERNAL_ERROR;
    }
    return ERRCODE_INTERNAL_ERROR;
}

void capture_current_exception(CapturedError* out) noexcept {
    out->sqlerrcode = ERRCODE_INTERNAL_ERROR;
    out->pg = nullptr;
    out->message[0] = out->detail[0] = out->hint[0] = '\0';
    try {
        throw;
    } catch (const PgError& e) {
        out->pg = e.edata;
    } catch (const core::Error& e) {
        out->sqlerrcode = sqlstate_for(e.kind());
        strlcpy(out->message, e.what(), sizeof out->message);
        strlcpy(out->detail, e.detail().c_str(), sizeof out->detail);
        strlcpy(out->hint, e.hint().c_str(), sizeof out->hint);
    } catch (const std::bad_alloc&) {
        out->sqlerrcode = ERRCODE_OUT_OF_MEMORY;
        strlcpy(out->message, "out of memory in hive_tokens", sizeof out->message);
    } catch (const std::exception& e) {
        strlcpy(out->message, "internal error in hive_tokens: ", sizeof out->message);
        strlcat(out->message, e.what(), sizeof out->message);
    } catch (...) {
        strlcpy(out->message, "internal error in hive_tokens: unknown C++ exception", sizeof out->message);
    }
}

void raise_captured(const CapturedError* err) {
    if (err->pg) ReThrowError(err->pg);
    ereport(ERROR, (errextension(), errcode(err->sqlerrcode), errmsg("%s", err->message),
                    err->detail[0] ? errdetail("%s", err->detail) : 0, err->hint[0] ? errhint("%s", err->hint) : 0));
    pg_unreachable();
}

void service_interrupts() {
    if (!INTERRUPTS_PENDING_CONDITION()) return;
    pg_call([]() noexcept { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace hive_tokens::pg
