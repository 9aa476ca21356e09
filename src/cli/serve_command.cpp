// `meridian serve`: the HTTP search API (docs/API.md).
//
// SIGTERM/SIGINT are blocked in every thread and taken by a dedicated
// thread with sigwait(), which stops the server: no new connections,
// in-flight requests finish, live-query streams close; then every index is
// committed and the process exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>

#include "commands.h"
#include "meridian/server/serve_options.h"
#include "meridian/server/server.h"

namespace meridian::cli {

int cmd_serve(const Args& args) {
  auto opt = server::parse_serve_options(args, server::process_env());
  if (!opt) {
    std::fprintf(stderr, "meridian serve: %s\n%s", opt.status().message().c_str(), server::kServeUsage);
    return 2;
  }
  if (opt->help) {
    std::fputs(server::kServeUsage, stdout);
    return 0;
  }
  // Block the signals before any thread starts, so all threads inherit it.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto srv = server::Server::open(*opt);
  if (!srv) {
    std::fprintf(stderr, "meridian serve: %s\n", srv.status().to_string().c_str());
    return 2;
  }
  auto port = (*srv)->bind();
  if (!port) {
    std::fprintf(stderr, "meridian serve: %s\n", port.status().to_string().c_str());
    return 2;
  }
  std::fprintf(stderr, "meridian serve: listening on http://%s:%d (data %s, %zu threads, auth %s)\n",
               opt->host.find(':') != std::string::npos ? ("[" + opt->host + "]").c_str() : opt->host.c_str(),
               *port, opt->data_dir.c_str(), opt->threads, opt->master_key.empty() ? "off" : "on");
  std::fflush(stderr);

  server::Server* s = srv->get();
  std::thread signals([s, set] {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig != 0) {
      std::fprintf(stderr, "meridian serve: %s, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      s->stop();
    }
  });
  Status run = s->run();
  // If run() ended without a signal, wake the signal thread so it can be joined.
  s->stop();
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  Status closed = s->close();
  if (!run.is_ok() || !closed.is_ok()) {
    std::fprintf(stderr, "meridian serve: %s\n", (!run.is_ok() ? run : closed).to_string().c_str());
    return 2;
  }
  std::fprintf(stderr, "meridian serve: stopped cleanly\n");
  return 0;
}

}  // namespace meridian::cli
