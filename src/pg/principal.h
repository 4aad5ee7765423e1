// The transaction principal (principal.cpp).
#pragma once

namespace hive_tokens::pg {

// Registers the transaction callbacks that drop the principal; called once from _PG_init.
void register_principal_callbacks();

// Empties authorize()'s compiled-policy cache (with the verified-token cache: any change to the
// tokens, or a new hive_tokens.verify_cache_size).
void forget_token_policies() noexcept;
// How many compiled policies authorize() keeps now (verify_cache()).
long token_policies_kept() noexcept;

}  // namespace hive_tokens::pg
