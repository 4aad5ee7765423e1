// What one call site (one function call in one query plan) keeps between its calls.
#pragma once
#include <new>

#include "guard.h"

namespace hive_tokens::pg {

// The call site's T, in fn_extra: built on first use in the call site's memory context (fn_mcxt)
// and destroyed with it (a reset callback runs ~T), so a T may own C++ memory. Every cache of a
// call site (compiled statements, a parsed operand, an action's bit, RLS sets) is one of these.
template <typename T>
T& call_site_state(FunctionCallInfo fcinfo) {
    FmgrInfo* f = fcinfo->flinfo;
    if (f->fn_extra == nullptr) {
        struct Holder {
            MemoryContextCallback callback;
            alignas(T) unsigned char object[sizeof(T)];
        };
        Holder* h = nullptr;
        pg_call([&]() noexcept { h = static_cast<Holder*>(MemoryContextAllocZero(f->fn_mcxt, sizeof(Holder))); });
        T* object = new (h->object) T();  // if this throws, the memory goes with the context
        h->callback.func = [](void* p) { static_cast<T*>(p)->~T(); };
        h->callback.arg = object;
        MemoryContextRegisterResetCallback(f->fn_mcxt, &h->callback);
        f->fn_extra = object;
    }
    return *static_cast<T*>(f->fn_extra);
}

}  // namespace hive_tokens::pg
