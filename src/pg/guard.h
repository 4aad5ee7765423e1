// The C++/PostgreSQL boundary (docs/architecture.md, "The C++/PostgreSQL boundary").
//
//  * HT_FUNCTION(name) defines an extern "C" fmgr entry point whose body runs inside
//    guarded_call(): any C++ exception (core::Error, std::bad_alloc, anything) is caught,
//    classified into a POD record, the exception and every C++ object of the body are
//    destroyed, and only then is ereport(ERROR) raised. No C++ exception reaches PostgreSQL.
//  * pg_call(f) runs PostgreSQL code that may ereport()/longjmp inside PG_TRY and turns the
//    error into a C++ PgError, so that it unwinds C++ frames normally; guarded_call re-throws
//    the original PostgreSQL error (same SQLSTATE, message, detail) afterwards.
//  * HT_TOKEN_FUNCTION(name) is HT_FUNCTION for entry points that receive a token: whatever error
//    leaves them (raised by the body, by PostgreSQL below it, or by the guard) is marked
//    errhidestmt and errhidecontext, and loses its internal query, so the server log never shows
//    the statement, the CONTEXT lines or the QUERY line that may hold the token's text.
//  Rule for bodies: either hold no non-trivially-destructible C++ object across a direct call
//  into PostgreSQL, or make that call through pg_call(). f passed to pg_call must not throw.
#pragma once
#include "../core/error.h"
#include "pg_includes.h"

namespace hive_tokens::pg {

// A PostgreSQL error caught by pg_call(), carried across C++ frames.
struct PgError {
    ErrorData* edata;
};

// Everything needed to raise an error after the C++ exception is gone. Plain data only.
struct CapturedError {
    int sqlerrcode;
    ErrorData* pg;  // non-null: re-throw this PostgreSQL error unchanged
    char message[1024];
    char detail[1024];
    char hint[512];
};

// Classifies the exception currently being handled (call only inside a catch block).
void capture_current_exception(CapturedError* out) noexcept;
[[noreturn]] void raise_captured(const CapturedError* err);

// The core's interrupt hook (core::set_interrupt_check): services pending interrupts inside
// pg_call, so a cancel or statement_timeout becomes a C++ exception that unwinds the core's
// frames before PostgreSQL raises it.
void service_interrupts();

// Maps a core error kind to its SQLSTATE.
int sqlstate_for(core::ErrorKind kind) noexcept;

template <typename Body>
Datum guarded_call(Body body, FunctionCallInfo fcinfo) {
    CapturedError err;
    try {
        return body(fcinfo);
    } catch (...) {
        capture_current_exception(&err);
    }
    raise_captured(&err);
}

// guarded_call() for entry points that receive a token (HT_TOKEN_FUNCTION).
void note_token_statement() noexcept;  // log_guard.h

template <typename Body>
Datum guarded_token_call(Body body, FunctionCallInfo fcinfo) {
    note_token_statement();
    MemoryContext oldcxt = CurrentMemoryContext;
    volatile Datum result = 0;
    PG_TRY();
    {
        result = guarded_call(body, fcinfo);
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(oldcxt);
        ErrorData* edata = CopyErrorData();
        FlushErrorState();
        edata->hide_stmt = true;
        edata->hide_ctx = true;
        // The QUERY line (an SPI query with an error position, such as a cast of a token literal
        // inside PL/pgSQL) is logged whatever hide_stmt says: drop it.
        edata->internalquery = nullptr;
        edata->internalpos = 0;
        ReThrowError(edata);
    }
    PG_END_TRY();
    return result;
}

template <typename F>
void pg_call(F&& f) {
    static_assert(noexcept(f()), "pg_call bodies must be noexcept: a C++ throw inside PG_TRY corrupts PG_exception_stack");
    MemoryContext oldcxt = CurrentMemoryContext;
    ErrorData* volatile edata = nullptr;
    PG_TRY();
    {
        f();
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(oldcxt);
        edata = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    if (edata) throw PgError{edata};
}

}  // namespace hive_tokens::pg

// An fmgr entry point `name` whose body (written after the macro) runs inside `wrapper`.
#define HT_ENTRY_POINT(name, wrapper)                                                       \
    static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo);                     \
    extern "C" {                                                                            \
    PG_FUNCTION_INFO_V1(name);                                                              \
    Datum name(PG_FUNCTION_ARGS) { return hive_tokens::pg::wrapper(name##_body, fcinfo); }  \
    }                                                                                       \
    static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo)

#define HT_FUNCTION(name) HT_ENTRY_POINT(name, guarded_call)
#define HT_TOKEN_FUNCTION(name) HT_ENTRY_POINT(name, guarded_token_call)
