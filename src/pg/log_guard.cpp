// An emit_log_hook that keeps statements which handed a token to the extension out of the server
// log: once a statement has passed a token to authenticate(), verify(), verify_reason(), hash()
// or access_token input, every later error of that statement (an assert_can() refusal, an error in
// a DO block, an unrelated division by zero) is logged without STATEMENT and CONTEXT lines. And
// errors raised by access_token input in a parallel worker, which reach the leader without their
// errhidestmt, are hidden there too (recognised by their source file).
#include "log_guard.h"

#include "pg_includes.h"

extern "C" {
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/elog.h"
}

#include <cstring>

namespace hive_tokens::pg {

namespace {

emit_log_hook_type g_previous_hook = nullptr;
LocalTransactionId g_lxid = InvalidLocalTransactionId;
TimestampTz g_statement_start = 0;

bool statement_received_token() noexcept {
    return MyProc != nullptr && g_lxid == MyProc->lxid && g_statement_start == GetCurrentStatementStartTimestamp();
}

bool raised_by_token_input(const ErrorData* edata) noexcept {
    return edata->filename != nullptr && std::strstr(edata->filename, "access_token_type.cpp") != nullptr;
}

void log_guard(ErrorData* edata) {
    if (edata->output_to_server && (statement_received_token() || raised_by_token_input(edata))) {
        edata->hide_stmt = true;
        edata->hide_ctx = true;
        edata->internalquery = nullptr;
        edata->internalpos = 0;
    }
    if (g_previous_hook != nullptr) g_previous_hook(edata);
}

}  // namespace

void note_token_statement() noexcept {
    if (MyProc == nullptr) return;
    g_lxid = MyProc->lxid;
    g_statement_start = GetCurrentStatementStartTimestamp();
}

void install_log_guard() {
    g_previous_hook = emit_log_hook;
    emit_log_hook = log_guard;
}

}  // namespace hive_tokens::pg
