// One read-only catalog query through SPI, answered as text (spi_text.h).
#include "spi_text.h"

#include "guard.h"
#include "pg_includes.h"

extern "C" {
#include "executor/spi.h"
#include "utils/builtins.h"
}

std::string hive_tokens::pg::spi_first_text(const char* query, const char* what) {
    char* found = nullptr;
    MemoryContext outer = CurrentMemoryContext;
    pg_call([&]() noexcept {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "hive_tokens: SPI_connect failed");
        if (SPI_execute(query, true, 1) != SPI_OK_SELECT) elog(ERROR, "hive_tokens: reading %s failed", what);
        if (SPI_processed == 1) {
            bool isnull = true;
            Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
            if (!isnull) {
                MemoryContext spi = MemoryContextSwitchTo(outer);
                found = TextDatumGetCString(d);
                MemoryContextSwitchTo(spi);
            }
        }
        SPI_finish();
    });
    return found != nullptr ? std::string(found) : std::string();
}
