// The transaction principal (principal.cpp).
#pragma once

namespace hive_tokens::pg {

// Registers the transaction callbacks that drop the principal; called once from _PG_init.
void register_principal_callbacks();

}  // namespace hive_tokens::pg
