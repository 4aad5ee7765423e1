// The one place glue code includes PostgreSQL headers (C headers, C linkage). Core headers
// must be included before this file: they static_assert that postgres.h is not yet defined.
#pragma once
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
}

// Marks an error as raised by this extension: its schema field (node-postgres' err.schema,
// libpq's PG_DIAG_SCHEMA_NAME) says "hive_tokens", so a client can tell the extension's refusals
// from PostgreSQL's own errors of the same SQLSTATE (docs/errors.md). Every ereport(ERROR) of the
// glue with an errcode carries it, and so does every core::Error the guard raises.
#define errextension() err_generic_string(PG_DIAG_SCHEMA_NAME, "hive_tokens")
