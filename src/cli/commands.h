// The subcommands of the `meridian` binary. Each takes the arguments after
// its own name and returns the process exit code (0 ok, 1 partial failure
// such as rejected records, 2 usage or fatal error).
#pragma once

#include <string>
#include <vector>

namespace meridian::cli {

using Args = std::vector<std::string>;



}  // namespace meridian::cli
