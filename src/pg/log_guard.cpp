// An emit_log_hook that keeps tokens out of the server log, in two ways:
//  - Every message (to the server log and to the client) has its token-shaped text masked (hv?2_ and
//    four characters stay, the rest becomes '*'), and every long run of letters and digits that
//    looks like a piece of a token too: a statement logged by log_statement, the parameters of a
//    failed statement, a deadlock report listing other sessions' queries, a RAISE, a JSON or XML
//    parse error quoting part of its input.
//  - A statement that handed a token to the extension (authenticate(), verify(), verify_reason(),
//    hash(), access_token input) is never logged with an error, nor its CONTEXT lines, whatever
//    raises the error later in it; also when the token is not token-shaped (mistyped). "The
//    statement" is the query text the client sent (debug_query_string): it stays the same for
//    every statement of a multi-statement query, after a COMMIT inside a procedure, and across the
//    Parse, Bind and Execute messages of the extended protocol, where a token bound as a parameter
//    is read at Bind and an error may come at Execute. The last few such texts are remembered, so
//    a later message with the same text (the same prepared statement) is covered too.
//  - Errors raised by access_token input in a parallel worker, which reach the leader without
//    their errhidestmt, are recognised by their source file and hidden too.
#include "log_guard.h"

#include <cstring>
#include <string_view>

#include "../core/token_codec.h"
#include "pg_includes.h"

extern "C" {
#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace hive_tokens::pg {

namespace {

emit_log_hook_type g_previous_hook = nullptr;

// A query text that handed a token to the extension: its length and hash (never the text).
struct Noted {
    bool used = false;
    std::size_t len = 0;
    uint64 hash = 0;
};
constexpr int kRemembered = 32;
Noted g_noted[kRemembered];
int g_next = 0;
// The message last noted, to skip hashing its text again for every row of a query.
const char* g_last_text = nullptr;
TimestampTz g_last_start = 0;
// A token received while there was no query text (a background worker): until the statement ends.
TimestampTz g_textless_start = -1;

bool remembered(const char* text) noexcept {
    std::size_t len = std::strlen(text);
    uint64 h = hash_bytes_extended(reinterpret_cast<const unsigned char*>(text), static_cast<int>(len), 0);
    for (const Noted& n : g_noted)
        if (n.used && n.len == len && n.hash == h) return true;
    return false;
}

// Whether the current query text must stay out of the log: it handed a token over (in this
// message, or in an earlier one with the same text), or it holds something that looks like one.
// Judged once per message (text and statement start), however many lines it logs: a long query
// text is hashed and scanned once, not once per WARNING.
const char* g_judged_text = nullptr;
TimestampTz g_judged_start = 0;
bool g_judged_hide = false;

bool hide_statement() noexcept {
    const char* text = debug_query_string;
    TimestampTz start = GetCurrentStatementStartTimestamp();
    if (text == nullptr) return g_textless_start == start;
    if (text == g_last_text && start == g_last_start) return true;  // noted in this message
    if (text != g_judged_text || start != g_judged_start) {
        g_judged_text = text;
        g_judged_start = start;
        g_judged_hide = remembered(text) || core::statement_holds_secret(text);
    }
    return g_judged_hide;
}

bool raised_by_token_input(const ErrorData* edata) noexcept {
    return edata->filename != nullptr && std::strstr(edata->filename, "access_token_type.cpp") != nullptr;
}

void mask(char* field) noexcept {
    if (field != nullptr) core::redact_tokens(field, std::strlen(field));
}

// An error a PL/pgSQL function of this extension raised itself (RAISE): marked as the
// extension's, as errextension() marks the glue's (docs/errors.md). Judged by where it was raised
// (PL/pgSQL's RAISE statement, by source file and function, which no locale translates) and by the
// function the innermost context line names: the first name followed by "(" in that line, which
// the extension's functions always qualify (they pin search_path).
void mark_extension_raise(ErrorData* edata) noexcept {
    if (edata->elevel < ERROR || edata->schema_name != nullptr || edata->context == nullptr) return;
    if (edata->filename == nullptr || edata->funcname == nullptr || std::strcmp(edata->filename, "pl_exec.c") != 0 ||
        std::strcmp(edata->funcname, "exec_stmt_raise") != 0)
        return;
    const char* ctx = edata->context;
    const char* end = std::strchr(ctx, '\n');
    const std::string_view first(ctx, end ? static_cast<std::size_t>(end - ctx) : std::strlen(ctx));
    const std::size_t paren = first.find('(');
    if (paren == std::string_view::npos) return;
    const std::size_t space = first.rfind(' ', paren);
    const std::string_view name = first.substr(space == std::string_view::npos ? 0 : space + 1,
                                               paren - (space == std::string_view::npos ? 0 : space + 1));
    if (name.rfind("hive_tokens.", 0) != 0 && name.rfind("hive_tokens_internal.", 0) != 0) return;
    MemoryContext old = MemoryContextSwitchTo(ErrorContext);
    edata->schema_name = pstrdup("hive_tokens");
    MemoryContextSwitchTo(old);
}

void log_guard(ErrorData* edata) {
    mark_extension_raise(edata);
    if (edata->output_to_server && (raised_by_token_input(edata) || hide_statement())) {
        edata->hide_stmt = true;
        edata->hide_ctx = true;
        edata->internalquery = nullptr;
        edata->internalpos = 0;
    }
    // The same ErrorData goes on to the client: a NOTICE or an error it receives is masked too.
    mask(edata->message);
    mask(edata->detail);
    mask(edata->detail_log);
    mask(edata->hint);
    mask(edata->context);
    mask(edata->internalquery);
    mask(edata->schema_name);
    mask(edata->table_name);
    mask(edata->column_name);
    mask(edata->datatype_name);
    mask(edata->constraint_name);
    if (g_previous_hook != nullptr) g_previous_hook(edata);
}

}  // namespace

void note_token_statement() noexcept {
    const char* text = debug_query_string;
    TimestampTz start = GetCurrentStatementStartTimestamp();
    if (text == nullptr) {
        g_textless_start = start;
        return;
    }
    if (text == g_last_text && start == g_last_start) return;  // this message's text is noted already
    g_last_text = text;
    g_last_start = start;
    std::size_t len = std::strlen(text);
    uint64 h = hash_bytes_extended(reinterpret_cast<const unsigned char*>(text), static_cast<int>(len), 0);
    for (const Noted& n : g_noted)
        if (n.used && n.len == len && n.hash == h) return;
    g_noted[g_next] = Noted{true, len, h};
    g_next = (g_next + 1) % kRemembered;
}

void install_log_guard() {
    g_previous_hook = emit_log_hook;
    emit_log_hook = log_guard;
}

}  // namespace hive_tokens::pg
