// Tripwire: src/core is pure C++17 and must never see a PostgreSQL header.
// Every core header includes this file first.
#pragma once
#ifdef POSTGRES_H
static_assert(false, "src/core headers must be included before (and never depend on) postgres.h");
#endif
