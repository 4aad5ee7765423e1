#include "error.h"

#include <new>

namespace hive_tokens::core {

void raise_for_selftest(const std::string& which) {
    if (which == "invalid_text") throw Error(ErrorKind::InvalidTextRepresentation, "self-test: invalid text", "detail", "hint");
    if (which == "invalid_parameter") throw Error(ErrorKind::InvalidParameterValue, "self-test: invalid parameter");
    if (which == "config_file") throw Error(ErrorKind::ConfigFile, "self-test: config file");
    if (which == "bad_alloc") throw std::bad_alloc();
    if (which == "std_exception") throw std::runtime_error("self-test: std::runtime_error");
    if (which == "non_std") throw 42;
}

}  // namespace hive_tokens::core
