// Keeping tokens out of the server log beyond the errors of the token functions themselves
// (log_guard.cpp).
#pragma once

namespace hive_tokens::pg {

// Called by every entry point that receives a token (HT_TOKEN_FUNCTION): no error of this
// backend logs the current query text or its context (it may hold the token) from now on,
// whatever raises the error: the same text is remembered across a multi-statement query, a
// procedure's COMMIT and the extended protocol's Parse, Bind and Execute.
void note_token_statement() noexcept;

// Installs the emit_log_hook; once, from _PG_init.
void install_log_guard();

}  // namespace hive_tokens::pg
