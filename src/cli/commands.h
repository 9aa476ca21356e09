// The subcommands of the `meridian` binary. Each takes the arguments after
// its own name and returns the process exit code (0 ok, 1 partial failure
// such as rejected records, 2 usage or fatal error).
#pragma once

#include <string>
#include <vector>

namespace meridian::cli {

using Args = std::vector<std::string>;

// meridian analyze: show the tokens the analysis pipeline makes of a text.
int cmd_analyze(const Args& args);

// meridian serve: the HTTP search API.
int cmd_serve(const Args& args);
int cmd_import(const Args& args);

// meridian import --url: streams batches to a server (src/cli/import_online.cpp).
struct OnlineImportOptions {
  std::string url, key, index, schema_file, format = "auto", geo, rejects;
  std::vector<std::string> files;
  bool quiet = false;
  size_t batch = 1000;
  unsigned concurrency = 3;  // requests in flight
  int retries = 7;           // retries of a batch after its first attempt
};
int run_online_import(const OnlineImportOptions& opt);
int cmd_dump(const Args& args);

// meridian shell: interactive or scripted queries (src/cli/shell_*.cpp).
int cmd_shell(const Args& args);

// meridian backup (online snapshot through a server) and meridian restore
// (into a data directory no server holds): src/cli/backup_command.cpp.
int cmd_backup(const Args& args);
int cmd_restore(const Args& args);



}  // namespace meridian::cli
