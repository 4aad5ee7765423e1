# PGXS build of the hive_tokens extension: make && make install, then CREATE EXTENSION;
# make installcheck runs the regression and isolation suites against a running server.
# The pure C++ core (src/core) and its unit tests are built by CMake (CMakeLists.txt); the
# boundary self-test module the suites need is test/selftest (never installed by make install).

EXTENSION = hive_tokens
MODULE_big = hive_tokens
DATA = $(wildcard hive_tokens--*.sql)
CORE_SRCS = $(wildcard src/core/*.cpp)
PG_SRCS = $(wildcard src/pg/*.cpp)
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# make installcheck: the regression and isolation suites against a running server on which the
# extension is installed (connection from PGHOST, PGPORT, PGUSER as for psql; a superuser). Three
# suites need more than a server: guard and ticket (the test-only self-test module) and keys (key
# files in the data directory); scripts/test.sh runs them, with everything else, on a cluster of
# its own.
REGRESS = $(filter-out guard keys ticket,$(shell sed -n 's/^test: //p' test/schedule))
ISOLATION = $(shell sed -n 's/^test: //p' test/isolation/schedule)
ISOLATION_OPTS = --inputdir=test/isolation

include pgxs_cxx.mk
