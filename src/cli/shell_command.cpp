// meridian shell: an interactive (libedit) or scripted query shell over a
// data directory or a running server. See docs/CLI.md ("Shell").
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <editline/readline.h>

#include "commands.h"
#include "shell_session.h"

namespace meridian::cli {
namespace {

using shell::Session;

struct ShellFlags {
  std::string data_dir = "./meridian-data";
  std::string url;
  std::string key;
  std::string index;
  std::vector<std::string> commands;
  std::string format;
};

constexpr const char* kShellUsage =
    "usage: meridian shell [INDEX] [--data DIR | --url http://HOST:PORT [--key KEY]]\n"
    "         [-c COMMAND]... [--format table|json|csv]\n"
    "  INDEX               the current index at start (\\use INDEX changes it)\n"
    "  --data DIR          open a data directory directly (MERIDIAN_DATA, default ./meridian-data)\n"
    "  --url URL           talk to a running server instead (http://HOST:PORT)\n"
    "  --key KEY           with --url: API key (MERIDIAN_KEY)\n"
    "  -c, --command CMD   run CMD (a search or a \\command) and exit; repeatable; without -c and\n"
    "                      without a terminal, commands are read from stdin\n"
    "  --format FMT        output format: table (default), json or csv\n"
    "  --help, -h          this help\n"
    "Inside the shell, \\help lists the commands and the query syntax.\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "meridian shell: %s\n%s", msg.c_str(), kShellUsage);
  return 2;
}

Result<ShellFlags> parse_flags(const Args& args) {
  ShellFlags fl;
  if (const char* d = std::getenv("MERIDIAN_DATA")) fl.data_dir = d;
  if (const char* k = std::getenv("MERIDIAN_KEY")) fl.key = k;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size()) return Status::invalid(a + " needs a value");
      return args[++i];
    };
    if (a == "--data") { MERIDIAN_ASSIGN_OR_RETURN(fl.data_dir, value()); }
    else if (a == "--url") { MERIDIAN_ASSIGN_OR_RETURN(fl.url, value()); }
    else if (a == "--key") { MERIDIAN_ASSIGN_OR_RETURN(fl.key, value()); }
    else if (a == "--format") { MERIDIAN_ASSIGN_OR_RETURN(fl.format, value()); }
    else if (a == "-c" || a == "--command") {
      MERIDIAN_ASSIGN_OR_RETURN(std::string c, value());
      fl.commands.push_back(c);
    } else if (a == "--help" || a == "-h") {
      return Status::invalid("help");
    } else if (a.size() > 1 && a[0] == '-') {
      return Status::invalid("unknown option '" + a + "'");
    } else if (fl.index.empty()) {
      fl.index = a;
    } else {
      return Status::invalid("unexpected argument '" + a + "'");
    }
  }
  return fl;
}

int terminal_rows() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return 24;
}

// Writes to stdout, through $PAGER (or less -FRX) when it would not fit.
void emit(const std::string& text, bool page) {
  if (text.empty()) return;
  if (page) {
    size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (lines + 1 >= static_cast<size_t>(terminal_rows())) {
      const char* pager = std::getenv("PAGER");
      std::string cmd = pager && *pager ? pager : "less -FRX";
      std::fflush(stdout);
      if (FILE* p = ::popen(cmd.c_str(), "w")) {
        std::signal(SIGPIPE, SIG_IGN);
        std::fwrite(text.data(), 1, text.size(), p);
        ::pclose(p);
        return;
      }
    }
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void report(const Status& st, bool color) {
  std::fprintf(stderr, "%serror:%s %s\n", color ? "\033[1;31m" : "", color ? "\033[0m" : "", st.message().c_str());
  std::fflush(stderr);
}

// ---- completion (libedit's readline interface is C: state lives here) ----
Session* g_session = nullptr;
std::vector<std::string> g_candidates;
size_t g_next = 0;
char g_break_chars[] = " \t\n";

char* next_candidate(const char* text, int state) {
  if (state == 0) g_next = 0;
  size_t n = std::strlen(text);
  while (g_next < g_candidates.size()) {
    const std::string& c = g_candidates[g_next++];
    if (c.compare(0, n, text) == 0) return ::strdup(c.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;
  rl_completion_append_character = ' ';
  g_candidates.clear();
  std::string before(rl_line_buffer, static_cast<size_t>(start));
  std::string head = shell::trim(before);
  std::string cmd = head.substr(0, head.find(' '));
  if (head.empty() && text[0] == '\\') {
    for (const auto& c : shell::commands()) g_candidates.push_back(std::string("\\") + c.name);
  } else if (cmd == "\\c" || cmd == "\\d") {
    g_candidates = g_session->index_names();
  } else if (cmd == "\\facet" || cmd == "\\fields") {
    g_candidates = g_session->field_names();
  } else if (cmd == "\\import") {
    rl_attempted_completion_over = 0;  // file names
    return nullptr;
  } else if (!head.empty() && head[0] == '\\') {
    return nullptr;
  } else {
    for (const auto& f : g_session->field_names()) g_candidates.push_back(f + ":");
    for (const char* w : {"near", "within", "in"}) g_candidates.push_back(w);
    rl_completion_append_character = '\0';
  }
  return rl_completion_matches(text, next_candidate);
}

std::string history_path() {
  if (const char* h = std::getenv("MERIDIAN_HISTORY"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.meridian_history";
}

int interactive(Session& s) {
  g_session = &s;
  rl_readline_name = "meridian";
  rl_attempted_completion_function = complete;
  rl_completer_word_break_characters = g_break_chars;
  rl_basic_word_break_characters = g_break_chars;
  rl_initialize();
  using_history();
  stifle_history(1000);
  std::string hist = history_path();
  read_history(hist.c_str());
  std::printf("meridian shell on %s. \\help for help, \\q to quit.\n", s.backend().target().c_str());
  bool failed = false;
  while (!s.quit_requested()) {
    std::string prompt = "meridian" + (s.current().empty() ? "" : ":" + s.current()) + "> ";
    char* raw = readline(prompt.c_str());
    if (!raw) {
      std::printf("\n");
      break;
    }
    std::string line = raw;
    std::free(raw);
    if (shell::trim(line).empty()) continue;
    add_history(line.c_str());
    write_history(hist.c_str());
    std::string out;
    Status st = s.run(line, &out);
    emit(out, true);
    if (!st.is_ok()) {
      report(st, true);
      failed = true;
    }
  }
  write_history(hist.c_str());
  return failed ? 1 : 0;
}

int scripted(Session& s, const std::vector<std::string>& commands) {
  bool failed = false;
  auto one = [&](const std::string& line) {
    std::string out;
    Status st = s.run(line, &out);
    emit(out, false);
    if (!st.is_ok()) {
      report(st, false);
      failed = true;
    }
  };
  if (!commands.empty()) {
    for (const auto& c : commands) {
      one(c);
      if (s.quit_requested()) break;
    }
  } else {
    std::string line;
    while (!s.quit_requested() && std::getline(std::cin, line)) one(line);
  }
  return failed ? 1 : 0;
}

}  // namespace

int cmd_shell(const Args& args) {
  auto flags = parse_flags(args);
  if (!flags) {
    if (flags.status().message() == "help") {
      std::fputs(kShellUsage, stdout);
      return 0;
    }
    return usage_error(flags.status().message());
  }
  const ShellFlags& fl = *flags;
  auto backend = fl.url.empty() ? shell::open_local_backend(fl.data_dir) : shell::open_http_backend(fl.url, fl.key);
  if (!backend) {
    std::fprintf(stderr, "meridian shell: %s\n", backend.status().message().c_str());
    return 2;
  }
  bool tty_in = ::isatty(STDIN_FILENO) != 0 && fl.commands.empty();
  bool color = tty_in && ::isatty(STDOUT_FILENO) != 0 && !std::getenv("NO_COLOR");
  Session s(std::move(*backend), color);
  bool failed = false;
  if (!fl.format.empty()) {
    std::string ignored;
    if (Status st = s.run("\\format " + fl.format, &ignored); !st.is_ok()) return usage_error(st.message());
  }
  if (!fl.index.empty()) {
    if (Status st = s.use(fl.index); !st.is_ok()) {
      report(st, color);
      failed = true;
    }
  } else if (s.index_names().size() == 1) {
    (void)s.use(s.index_names()[0]);
  }
  int rc = tty_in ? interactive(s) : scripted(s, fl.commands);
  return failed ? 1 : rc;
}

}  // namespace meridian::cli
