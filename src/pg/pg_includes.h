// The one place glue code includes PostgreSQL headers (C headers, C linkage). Core headers
// must be included before this file: they static_assert that postgres.h is not yet defined.
#pragma once
extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
}
