# The C++ half of a PGXS build, shared by the extension (Makefile) and the test-only self-test
# module (test/selftest/Makefile): set MODULE_big/OBJS (and EXTENSION, DATA...) first, then
# include this file.
PG_CONFIG ?= pg_config
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-register
# PostgreSQL's headers are not -Wextra clean in C++; treat them as system headers.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK = -lsodium -lstdc++

# PGXS would also compile LLVM bitcode with clang, which does not see PG_CXXFLAGS (so C++17 and
# our warning flags would be lost). The extension gains nothing from JIT inlining of its
# functions, so the bitcode step is switched off.
override with_llvm = no

# Rebuild objects when a header they include changes (.deps/*.Po). PGXS names the dependency
# file after the source's base name, so source file names are unique across src/core and src/pg.
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS's CXXFLAGS carry C-only warnings for C++ (-Wmissing-prototypes and friends come from
# CFLAGS); keep the C++ compile clean of them.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement -Wimplicit-fallthrough=3 -Wcast-function-type -Wformat-security -Wshadow=compatible-local,$(CXXFLAGS)) -Wimplicit-fallthrough -Wformat-security
