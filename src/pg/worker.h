// Background workers of the extension (usage.cpp, refusal_audit.cpp): their common registration.
#pragma once
#include "pg_includes.h"

extern "C" {
#include "postmaster/bgworker.h"
}

#include <cstring>

namespace hive_tokens::pg {

// A worker of this library running `function` (an extern "C" entry point), named `name` in
// pg_stat_activity and ps; bgw_main_arg, bgw_extra and bgw_notify_pid are left for the caller.
inline BackgroundWorker library_worker(const char* function, const char* name, int flags, BgWorkerStartTime start,
                                       int restart_time) {
    BackgroundWorker w;
    memset(&w, 0, sizeof w);
    w.bgw_flags = flags;
    w.bgw_start_time = start;
    w.bgw_restart_time = restart_time;
    snprintf(w.bgw_library_name, BGW_MAXLEN, "hive_tokens");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "%s", function);
    snprintf(w.bgw_name, BGW_MAXLEN, "%s", name);
    snprintf(w.bgw_type, BGW_MAXLEN, "%s", name);
    return w;
}

}  // namespace hive_tokens::pg
