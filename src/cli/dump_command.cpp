// meridian dump INDEX [--data DIR] [--stats]: prints every live document of
// an index as NDJSON (stored source), or its statistics as JSON. Opens the
// data directory directly, so it refuses while a server holds it.
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "meridian/index/engine.h"

namespace meridian::cli {

namespace {

constexpr const char* kDumpUsage =
    "usage: meridian dump INDEX [--data DIR] [--stats]\n"
    "  INDEX       the index to print: one stored document per line (NDJSON)\n"
    "  --data DIR  data directory (MERIDIAN_DATA, default ./meridian-data); it must not be in use\n"
    "              by a running server (stop it first)\n"
    "  --stats     print the index's statistics and schema as one JSON object instead\n"
    "  --help, -h  this help\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "meridian dump: %s\n%s", msg.c_str(), kDumpUsage);
  return 2;
}

}  // namespace

int cmd_dump(const Args& args) {
  std::string data = std::getenv("MERIDIAN_DATA") ? std::getenv("MERIDIAN_DATA") : "./meridian-data";
  std::string name;
  bool stats = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kDumpUsage, stdout);
      return 0;
    }
    if (args[i] == "--data") {
      if (i + 1 >= args.size()) return usage_error("--data needs a value");
      data = args[++i];
    } else if (args[i] == "--stats") {
      stats = true;
    } else if (!args[i].empty() && args[i][0] != '-' && name.empty()) {
      name = args[i];
    } else {
      return usage_error("unexpected argument '" + args[i] + "'");
    }
  }
  if (name.empty()) return usage_error("expected an index name");
  index::IndexOptions opt;
  opt.background = false;
  auto engine = index::Engine::open(data, opt);
  if (!engine) {
    std::fprintf(stderr, "meridian dump: %s%s\n", engine.status().message().c_str(),
                 engine.status().code() == Status::Code::kBusy ? "; stop the server first (dump reads the directory itself)" : "");
    return 2;
  }
  auto ix = (*engine)->get(name);
  if (!ix) {
    std::fprintf(stderr, "meridian dump: %s\n", ix.status().message().c_str());
    return 2;
  }
  if (stats) {
    auto s = (*ix)->stats();
    Json j;
    j.set("docs", static_cast<int64_t>(s.docs));
    j.set("deleted", static_cast<int64_t>(s.deleted));
    j.set("segments", static_cast<int64_t>(s.segments));
    j.set("bytes_on_disk", static_cast<int64_t>(s.bytes_on_disk));
    j.set("schema", (*ix)->schema()->to_json());
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  auto snap = (*ix)->snapshot();
  std::string src;
  for (const auto& v : snap->segments()) {
    for (uint32_t d = 0; d < v.segment->num_docs(); ++d) {
      if (v.is_deleted(d)) continue;
      Status st = v.segment->store().get_to(d, &src);
      if (!st.is_ok()) {
        std::fprintf(stderr, "meridian dump: %s\n", st.message().c_str());
        return 2;
      }
      std::fwrite(src.data(), 1, src.size(), stdout);
      std::fputc('\n', stdout);
    }
  }
  return 0;
}

}  // namespace meridian::cli
