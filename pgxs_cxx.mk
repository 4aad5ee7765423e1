# The C++ half of a PGXS build, shared by the extension (Makefile) and the test-only self-test
# module (test/selftest/Makefile): set MODULE_big/OBJS (and EXTENSION, DATA...) first, then
# include this file.
PG_CONFIG ?= pg_config
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-register
# PostgreSQL's headers are not -Wextra clean in C++; treat them as system headers.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK = -lsodium -lcrypt -lstdc++

# PGXS would also compile LLVM bitcode with clang, which does not see PG_CXXFLAGS (so C++17 and
# our warning flags would be lost). The extension gains nothing from JIT inlining of its
# functions, so the bitcode step is switched off.
override with_llvm = no

# Rebuild objects when a header they include changes (dependency files under .deps/).
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS names each dependency file after the source's base name only, so src/core/principal.cpp
# and src/pg/principal.cpp would share .deps/principal.Po and one of them would lose its header
# dependencies (an object left stale after a header change, a library that does not load): one
# dependency file per source path instead.
%.o : %.cpp
	@mkdir -p $(DEPDIR)/$(dir $*)
	$(COMPILE.cc) -o $@ $< -MMD -MP -MF $(DEPDIR)/$*.Po
-include $(shell find $(DEPDIR) -mindepth 2 -name '*.Po' 2>/dev/null)

# PGXS's CXXFLAGS carry C-only warnings for C++ (-Wmissing-prototypes and friends come from
# CFLAGS); keep the C++ compile clean of them.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement -Wimplicit-fallthrough=3 -Wcast-function-type -Wformat-security -Wshadow=compatible-local,$(CXXFLAGS)) -Wimplicit-fallthrough -Wformat-security
