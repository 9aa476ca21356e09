// meridian: one binary, several entry points (serve, import, shell, ...).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const meridian::cli::Args&);
  const char* help;
};

const Command kCommands[] = {
    {"version", nullptr, "print the version"},
    {"analyze", meridian::cli::cmd_analyze, "show the tokens of a text (analysis pipeline)"},
    {"serve", meridian::cli::cmd_serve, "serve the HTTP search API"},
    {"import", meridian::cli::cmd_import, "bulk-load NDJSON, JSON or CSV files into an index"},
    {"dump", meridian::cli::cmd_dump, "print the documents (or --stats) of an index"},
    {"backup", meridian::cli::cmd_backup, "consistent online snapshot of a running server's indexes"},
    {"restore", meridian::cli::cmd_restore, "restore a backup into a data directory"},
    {"shell", meridian::cli::cmd_shell, "interactive query shell (libedit), or scripted with -c / stdin"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: meridian <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.help);
  std::fprintf(out, "\n'meridian <command> --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  if (name == "version" && argc > 2 && (std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0)) {
    std::printf("usage: meridian version\n  prints the version\n");
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("meridian 0.1.0\n");
    return 0;
  }
  for (const auto& c : kCommands) {
    if (name == c.name && c.run) return c.run(meridian::cli::Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "meridian: unknown command '%s'\n", name.c_str());
  usage(stderr);
  return 2;
}
