// Keeping tokens out of the server log beyond the errors of the token functions themselves
// (log_guard.cpp).
#pragma once

namespace hive_tokens::pg {

// Called by every entry point that receives a token (HT_TOKEN_FUNCTION): from now until the
// statement ends, no error of this backend logs the statement or its context (the statement may
// hold the token's text), whatever raises it.
void note_token_statement() noexcept;

// Installs the emit_log_hook; once, from _PG_init.
void install_log_guard();

}  // namespace hive_tokens::pg
