// meridian import INDEX FILE... : bulk loading into a data directory.
// A reader thread cuts the input into batches; worker threads parse and
// analyse them in parallel (Index::prepare); batches are applied in input
// order (Index::begin_write), so the last copy of a repeated id wins. The
// input position is recorded as a CDC-style source position in the WAL
// write of the next batch (WriteBatch::set_position; the last one after
// the input ends), which is what --resume continues from.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "meridian/base/file.h"
#include "meridian/cdc/debezium_ingest.h"
#include "meridian/index/engine.h"
#include "record_reader.h"

namespace meridian::cli {
namespace {

struct ImportFlags {
  std::string data_dir = "./meridian-data";
  std::string index;
  std::vector<std::string> files;
  std::string schema_file;
  std::string format = "auto";
  std::string geo;
  std::string rejects;
  std::string mapping;  // --format debezium: column mapping file
  bool quiet = false;
  bool resume = false;
  bool merge = false;  // offline: merge the index into one segment at the end
  std::string url, key;  // online mode (import_online.cpp)
  unsigned concurrency = 3;
  int retries = 7;
  size_t batch = 1000;
  unsigned threads = 0;
};

constexpr const char* kImportUsage =
    "usage: meridian import INDEX FILE... [--data DIR] [--schema FILE] [--format auto|ndjson|json|csv|debezium]\n"
    "         [--geo [FIELD=]LAT,LON] [--rejects FILE] [--resume] [--merge] [--quiet] [--batch N] [--threads N]\n"
    "         [--mapping FILE]\n"
    "       meridian import INDEX FILE... --url http://HOST:PORT [--key KEY] [--concurrency N] [--retries N]\n"
    "         [same input options]\n"
    "  INDEX                   the index (created when missing)\n"
    "  FILE                    NDJSON, a JSON array or CSV with a header row; gzip/zstd detected; - = stdin\n"
    "  --data DIR              data directory, offline mode (MERIDIAN_DATA, default ./meridian-data)\n"
    "  --schema FILE           a schema (JSON) for a new index, or fields to add to an existing one\n"
    "  --format FMT            auto (by extension and content), ndjson, json, csv or debezium (change events)\n"
    "  --geo [FIELD=]LAT,LON   combine two fields or columns into a geo_point FIELD (default location)\n"
    "  --rejects FILE          where rejected records go (default <input>.rejects)\n"
    "  --resume                offline: continue an interrupted import of the same file\n"
    "  --merge                 offline: merge the index into one segment at the end\n"
    "  --quiet, -q             no progress output\n"
    "  --batch N               records per batch (default 1000)\n"
    "  --threads N             offline: indexing threads (default one per core)\n"
    "  --mapping FILE          --format debezium: column-to-field mapping (docs/CDC.md)\n"
    "  --url URL               online mode: send batches to a running server\n"
    "  --key KEY               online: API key (MERIDIAN_KEY)\n"
    "  --concurrency N         online: requests in flight (default 3)\n"
    "  --retries N             online: retries of a failed batch, 0..100 (default 7)\n"
    "  --help, -h              this help\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "meridian import: %s\n%s", msg.c_str(), kImportUsage);
  return 2;
}

struct Counters {
  std::atomic<uint64_t> records{0}, imported{0}, replaced{0}, rejected{0};
};

class Rejects {
 public:
  explicit Rejects(std::string path) : path_(std::move(path)) {}
  ~Rejects() {
    if (f_) std::fclose(f_);
  }
  Status add(const std::string& file, uint64_t line, const std::string& reason, const std::string& record) {
    std::lock_guard<std::mutex> l(mu_);
    if (!f_) {
      f_ = std::fopen(path_.c_str(), "a");
      if (!f_) return Status::from_errno("cannot write rejects file " + path_, errno);
    }
    Json j;
    j.set("file", file);
    j.set("line", static_cast<int64_t>(line));
    j.set("reason", reason);
    j.set("record", record.size() > 65536 ? record.substr(0, 65536) : record);
    std::string s = j.dump();
    s.push_back('\n');
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) return Status::io_error("write " + path_);
    std::fflush(f_);
    return Status::ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mu_;
  FILE* f_ = nullptr;
};

struct Batch {
  uint64_t number = 0;
  std::vector<Record> records;
};

class Progress {
 public:
  Progress(bool quiet) : quiet_(quiet), tty_(::isatty(2) != 0), start_(std::chrono::steady_clock::now()) {}
  void update(const Counters& c, const InputStream& in, bool force = false) {
    if (quiet_) return;
    auto now = std::chrono::steady_clock::now();
    double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < (tty_ ? 0.2 : 2.0)) return;
    last_ = now;
    double secs = std::max(1e-3, std::chrono::duration<double>(now - start_).count());
    double rps = static_cast<double>(c.records.load()) / secs;
    double mbps = static_cast<double>(in.bytes_read()) / secs / 1e6;
    std::string pct, eta;
    if (in.raw_size() > 0) {
      double f = std::min(1.0, static_cast<double>(in.raw_bytes_read()) / static_cast<double>(in.raw_size()));
      char b[64];
      std::snprintf(b, sizeof b, "%3.0f%%", f * 100);
      pct = b;
      if (f > 0.001) {
        double left = secs / f - secs;
        std::snprintf(b, sizeof b, " ETA %d:%02d", static_cast<int>(left) / 60, static_cast<int>(left) % 60);
        eta = b;
      }
      if (tty_) {
        int w = 24, filled = static_cast<int>(f * w);
        std::string bar = "[" + std::string(filled, '=') + (filled < w ? ">" : "") +
                          std::string(std::max(0, w - filled - 1), ' ') + "] ";
        pct = bar + pct;
      }
    }
    std::fprintf(stderr, "%s%s %llu records  %.0f rec/s  %.1f MB/s%s%s", tty_ ? "\r\033[K" : "import: ", pct.c_str(),
                 static_cast<unsigned long long>(c.records.load()), rps, mbps, eta.c_str(), tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void done() {
    if (!quiet_ && tty_) std::fprintf(stderr, "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point start_, last_{};
};

// Imports one file; returns a fatal Status (read error, disk) or ok.
Status import_file(index::Index& ix, const ImportFlags& fl, const std::string& file, Rejects& rejects, Counters& c,
                   Progress& progress) {
  MERIDIAN_ASSIGN_OR_RETURN(InputFormat fmt, parse_input_format(fl.format));
  std::optional<GeoColumns> geo;
  if (!fl.geo.empty()) {
    MERIDIAN_ASSIGN_OR_RETURN(GeoColumns g, GeoColumns::parse(fl.geo));
    geo = g;
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto in, InputStream::open(file));
  char resolved[PATH_MAX];
  std::string key = "import:" + std::string(file == "-" ? "-" : (::realpath(file.c_str(), resolved) ? resolved : file));
  uint64_t skip_through = 0;
  if (fl.resume && file != "-")
    if (auto pos = ix.source_position(key)) skip_through = std::strtoull(pos->c_str(), nullptr, 10);
  RecordReader reader(std::move(in), fmt, file, ix.schema(), geo);
  reader.set_defer_json(true);  // the workers parse

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Batch> queue;
  bool eof = false;
  uint64_t next_apply = 0;
  std::string accounted;  // GUARDED_BY(mu) last input line whose batch is admitted and its rejects written
  Status fatal;
  unsigned nthreads = fl.threads ? fl.threads : std::max(1u, std::thread::hardware_concurrency());

  // Lets the next batch in input order go (caller holds `mu`).
  auto pass_turn = [&] {
    ++next_apply;
    cv.notify_all();
  };
  auto worker = [&] {
    for (;;) {
      Batch b;
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return !queue.empty() || eof; });
        if (queue.empty()) return;
        b = std::move(queue.front());
        queue.pop_front();
        cv.notify_all();
      }
      std::vector<Json> docs;
      std::vector<size_t> which;
      for (size_t i = 0; i < b.records.size(); ++i) {
        b.records[i].parse();  // NDJSON lines are parsed here, in parallel
        if (b.records[i].doc.is_ok()) {
          docs.push_back(std::move(*b.records[i].doc));
          which.push_back(i);
        }
      }
      auto prepared = ix.prepare(docs);
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return next_apply == b.number; });
        if (!fatal.is_ok()) {
          pass_turn();
          continue;
        }
      }
      // Batches are admitted in input order: begin_write() resolves ids and
      // logs the batch under the index lock and returns; its rejects are
      // written (still in turn, without the index lock) and the turn
      // passes, then finish() indexes the batch while the next one is
      // admitted (each worker fills its own in-memory segment). The import
      // is acknowledged by its final commit, so batches skip the WAL fsync.
      // The input position recorded with a batch is that of the batch
      // before it, whose rejects are written by then: a crash or a failed
      // rejects write never leaves a position past records whose rejects
      // were lost (--resume redoes at most one batch; puts are idempotent).
      index::WriteOptions wo;
      wo.durable = false;
      index::WriteBatch wb;
      for (auto& p : prepared) wb.put(std::move(p));
      if (file != "-" && !accounted.empty()) wb.set_position(key, accounted);
      auto pending = ix.begin_write(std::move(wb), wo);
      {
        std::lock_guard<std::mutex> l(mu);
        if (!pending.status().is_ok()) {  // closed or degraded: nothing of the batch was applied
          if (fatal.is_ok()) fatal = pending.status();
          pass_turn();
          continue;
        }
        const auto& results = pending.admitted();
        std::vector<std::string> reasons(b.records.size());
        for (size_t i = 0; i < b.records.size(); ++i)
          if (!b.records[i].doc.is_ok()) reasons[i] = b.records[i].doc.status().message();
        for (size_t k = 0; k < results.size(); ++k) {
          if (results[k].is_ok()) {
            c.imported++;
            if (results[k]->replaced) c.replaced++;
          } else if (results[k].status().code() == Status::Code::kIOError) {
            fatal = results[k].status();
          } else {
            reasons[which[k]] = results[k].status().message();
          }
        }
        for (size_t i = 0; i < b.records.size() && fatal.is_ok(); ++i) {
          if (reasons[i].empty()) continue;
          c.rejected++;
          Status st = rejects.add(file, b.records[i].line, reasons[i], b.records[i].text);
          if (!st.is_ok()) fatal = st;
        }
        if (fatal.is_ok()) accounted = std::to_string(b.records.back().line);
        pass_turn();
      }
      auto results = pending.finish();
      // Indexing the batch may still fail (a refresh that cannot write).
      for (const auto& r : results)
        if (!r.is_ok() && r.status().code() == Status::Code::kIOError) {
          std::lock_guard<std::mutex> l(mu);
          if (fatal.is_ok()) fatal = r.status();
          break;
        }
    }
  };
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < nthreads; ++i) workers.emplace_back(worker);

  uint64_t number = 0;
  Batch cur;
  Record r;
  while (reader.next(&r)) {
    c.records++;
    if (r.line <= skip_through) continue;
    cur.records.push_back(std::move(r));
    r = Record();
    if (cur.records.size() >= fl.batch) {
      cur.number = number++;
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return queue.size() < nthreads * 2 || !fatal.is_ok(); });
      if (!fatal.is_ok()) break;
      queue.push_back(std::move(cur));
      cur = Batch();
      cv.notify_all();
    }
    progress.update(c, reader.stream());
  }
  {
    std::lock_guard<std::mutex> l(mu);
    if (!cur.records.empty() && fatal.is_ok()) {
      cur.number = number++;
      queue.push_back(std::move(cur));
    }
    eof = true;
    cv.notify_all();
  }
  for (auto& t : workers) t.join();
  progress.update(c, reader.stream(), true);
  if (!fatal.is_ok()) return fatal;
  if (file != "-" && !accounted.empty()) {  // the last batch's position (see above)
    index::WriteOptions wo;
    wo.durable = false;
    MERIDIAN_RETURN_IF_ERROR(ix.set_source_position(key, accounted, wo));
  }
  Status rs = reader.status();
  if (!rs.is_ok()) return rs.with_context(file);
  return Status::ok();
}

Result<ImportFlags> parse_flags(const Args& args) {
  ImportFlags fl;
  if (const char* d = std::getenv("MERIDIAN_DATA")) fl.data_dir = d;
  std::vector<std::string> pos;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name) -> Result<std::string> {
      if (i + 1 >= args.size()) return Status::invalid(name + " needs a value");
      return args[++i];
    };
    if (a == "--data") { MERIDIAN_ASSIGN_OR_RETURN(fl.data_dir, value(a)); }
    else if (a == "--schema") { MERIDIAN_ASSIGN_OR_RETURN(fl.schema_file, value(a)); }
    else if (a == "--format") { MERIDIAN_ASSIGN_OR_RETURN(fl.format, value(a)); }
    else if (a == "--geo") { MERIDIAN_ASSIGN_OR_RETURN(fl.geo, value(a)); }
    else if (a == "--rejects") { MERIDIAN_ASSIGN_OR_RETURN(fl.rejects, value(a)); }
    else if (a == "--mapping") { MERIDIAN_ASSIGN_OR_RETURN(fl.mapping, value(a)); }
    else if (a == "--url") { MERIDIAN_ASSIGN_OR_RETURN(fl.url, value(a)); }
    else if (a == "--key") { MERIDIAN_ASSIGN_OR_RETURN(fl.key, value(a)); }
    else if (a == "--quiet" || a == "-q") fl.quiet = true;
    else if (a == "--resume") fl.resume = true;
    else if (a == "--merge") fl.merge = true;
    else if (a == "--retries") {
      MERIDIAN_ASSIGN_OR_RETURN(std::string v, value(a));
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0 || n > 100) return Status::invalid("--retries expects 0..100, got '" + v + "'");
      fl.retries = static_cast<int>(n);
    }
    else if (a == "--batch" || a == "--threads" || a == "--concurrency") {
      MERIDIAN_ASSIGN_OR_RETURN(std::string v, value(a));
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 1 || n > 1000000) return Status::invalid(a + " expects a positive number, got '" + v + "'");
      if (a == "--batch") fl.batch = static_cast<size_t>(n);
      else if (a == "--concurrency") fl.concurrency = static_cast<unsigned>(std::min(n, 64L));
      else fl.threads = static_cast<unsigned>(n);
    } else if (a == "--help" || a == "-h") {
      return Status::invalid("help");
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      return Status::invalid("unknown option '" + a + "'");
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() < 2) return Status::invalid("expected an index name and at least one file");
  fl.index = pos[0];
  fl.files.assign(pos.begin() + 1, pos.end());
  return fl;
}

// --format debezium: change events (docs/CDC.md); all or nothing per file.
int import_debezium(index::Index& ix, const ImportFlags& fl) {
  cdc::DebeziumOptions opt;
  if (!fl.mapping.empty()) {
    auto m = cdc::read_mapping_file(fl.mapping);
    if (!m) return usage_error(m.status().message());
    opt.mapping = *m;
  }
  int rc = 0;
  for (const auto& file : fl.files) {
    auto r = cdc::ingest_debezium_file(ix, file, opt);
    if (!r) {
      std::fprintf(stderr, "meridian import: fatal: %s: %s\n", file.c_str(), r.status().message().c_str());
      return 2;
    }
    for (const auto& e : r->errors)
      std::fprintf(stderr, "%s: event %zu%s: %s\n", file.c_str(), e.event,
                   e.line ? (" (line " + std::to_string(e.line) + ")").c_str() : "", e.message.c_str());
    if (!r->errors.empty()) {
      std::fprintf(stderr, "%s: nothing applied (%zu malformed events)\n", file.c_str(), r->errors.size());
      rc = 1;
      continue;
    }
    const auto& s = r->stats;
    if (!fl.quiet)
      std::fprintf(stderr, "%s: %zu events: %zu upserts, %zu deletes, %zu truncates, %zu skipped\n", file.c_str(), r->events,
                   s.upserts, s.deletes, s.truncates, s.skipped);
  }
  return rc;
}

}  // namespace


int cmd_import(const Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(kImportUsage, stdout);
      return 0;
    }
  auto flags = parse_flags(args);
  if (!flags) return usage_error(flags.status().message());
  const ImportFlags& fl = *flags;
  if (Status st = index::validate_index_name(fl.index); !st.is_ok()) return usage_error(st.message());
  for (const auto& f : fl.files)
    if (f != "-" && !fs::exists(f)) {
      std::fprintf(stderr, "meridian import: cannot open %s: no such file\n", f.c_str());
      return 2;
    }
  if (!fl.url.empty()) {
    if (fl.resume) return usage_error("--resume works in offline mode only (without --url)");
    if (fl.merge) return usage_error("--merge works in offline mode only (without --url)");
    OnlineImportOptions o;
    o.url = fl.url;
    o.key = !fl.key.empty() ? fl.key : (std::getenv("MERIDIAN_KEY") ? std::getenv("MERIDIAN_KEY") : "");
    o.index = fl.index;
    o.files = fl.files;
    o.schema_file = fl.schema_file;
    o.format = fl.format;
    o.geo = fl.geo;
    o.rejects = fl.rejects;
    o.quiet = fl.quiet;
    o.batch = fl.batch;
    o.concurrency = fl.concurrency;
    o.retries = fl.retries;
    return run_online_import(o);
  }
  std::optional<index::Schema> schema;
  if (!fl.schema_file.empty()) {
    auto text = fs::read_file(fl.schema_file);
    if (!text) return usage_error(text.status().message());
    auto j = parse_json(*text);
    if (!j) return usage_error(fl.schema_file + ": " + j.status().message());
    auto s = index::Schema::from_json(*j);
    if (!s) return usage_error(fl.schema_file + ": " + s.status().message());
    schema = std::move(*s);
  }
  // Bulk loading wants few, large segments: refresh and commit every 30 s
  // (each commit also trims the WAL) or when the in-memory segment is large.
  index::IndexOptions opt;
  opt.refresh_interval_ms = 30000;
  opt.commit_interval_ms = 30000;
  opt.max_builder_bytes = 256u << 20;
  auto engine = index::Engine::open(fl.data_dir, opt);
  if (!engine) {
    std::fprintf(stderr, "meridian import: %s%s\n", engine.status().message().c_str(),
                 engine.status().code() == Status::Code::kBusy ? "; stop it, or import through it with --url http://HOST:PORT" : "");
    return 2;
  }
  auto ix = (*engine)->get(fl.index);
  if (!ix) ix = (*engine)->create_index(fl.index, schema ? *schema : index::Schema());
  else if (schema) {
    Status st = (*ix)->add_fields(*schema);
    if (!st.is_ok()) {
      std::fprintf(stderr, "meridian import: schema conflict: %s\n", st.message().c_str());
      return 2;
    }
  }
  if (!ix) {
    std::fprintf(stderr, "meridian import: %s\n", ix.status().message().c_str());
    return 2;
  }
  if (fl.format == "debezium") return import_debezium(**ix, fl);
  Counters c;
  Progress progress(fl.quiet);
  Status fatal;
  std::string rejects_path;
  for (const auto& file : fl.files) {
    Rejects rejects(!fl.rejects.empty() ? fl.rejects : (file == "-" ? std::string("stdin") : file) + ".rejects");
    rejects_path = rejects.path();
    fatal = import_file(**ix, fl, file, rejects, c, progress);
    if (!fatal.is_ok()) break;
  }
  progress.done();
  Status cst = (*ix)->commit();
  if (fatal.is_ok() && !cst.is_ok()) fatal = cst;
  // One segment for the fastest queries: each import worker wrote its own.
  if (fatal.is_ok() && fl.merge) {
    Status mst = (*ix)->force_merge();
    if (!mst.is_ok()) fatal = mst.with_context("merging after the import");
  }
  double secs = progress.seconds();
  if (!fl.quiet || !fatal.is_ok() || c.rejected) {
    std::fprintf(stderr, "imported %llu, replaced %llu, rejected %llu in %.2f s (%.0f docs/s)\n",
                 static_cast<unsigned long long>(c.imported.load()), static_cast<unsigned long long>(c.replaced.load()),
                 static_cast<unsigned long long>(c.rejected.load()), secs,
                 static_cast<double>(c.imported.load()) / std::max(secs, 1e-3));
    if (c.rejected) std::fprintf(stderr, "rejected records are in %s\n", rejects_path.c_str());
  }
  if (!fatal.is_ok()) {
    std::fprintf(stderr, "meridian import: fatal: %s (everything imported before it is committed)\n",
                 fatal.message().c_str());
    return 2;
  }
  return c.rejected ? 1 : 0;
}

}  // namespace meridian::cli
