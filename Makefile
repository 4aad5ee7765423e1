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

include pgxs_cxx.mk
