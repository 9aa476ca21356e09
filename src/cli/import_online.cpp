// meridian import --url: online mode. The reader (this thread) cuts the
// input into batches; `concurrency` sender threads, each with its own HTTP
// connection, POST them as NDJSON to /v1/indexes/{index}/docs. A batch is
// retried on connection errors, 429 and 5xx with exponential backoff (at
// least the server's Retry-After); any other failure is fatal. The
// per-line errors of each answer are mapped back to input lines and written
// to the rejects file, like offline mode. Batches may be applied out of
// input order (several in flight), so with repeated ids across batches the
// last copy is not guaranteed to win: use offline mode for that.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "commands.h"
#include "meridian/base/file.h"
#include "meridian/index/schema.h"
#include "record_reader.h"
#include "shell_http.h"

namespace meridian::cli {
namespace {

constexpr int kBaseDelayMs = 200;
constexpr int kMaxDelayMs = 10000;

struct OnlineBatch {
  std::vector<uint64_t> lines;       // input line of each NDJSON line
  std::vector<std::string> texts;    // raw records, for the rejects file
  std::string body;
};

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  ~RejectsFile() {
    if (f_) std::fclose(f_);
  }
  Status add(const std::string& file, uint64_t line, const std::string& reason, const std::string& record) {
    std::lock_guard<std::mutex> l(mu_);
    if (!f_ && !(f_ = std::fopen(path_.c_str(), "a"))) return Status::from_errno("cannot write rejects file " + path_, errno);
    Json j;
    j.set("file", file);
    j.set("line", static_cast<int64_t>(line));
    j.set("reason", reason);
    j.set("record", record.size() > 65536 ? record.substr(0, 65536) : record);
    std::string s = j.dump() + "\n";
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

struct Totals {
  std::atomic<uint64_t> records{0}, imported{0}, rejected{0}, retries{0};
};

std::string docs_path(const std::string& index) { return "/v1/indexes/" + url_escape(index) + "/docs"; }

// Runs one request until it is answered with something other than a
// connection error, 429 or 5xx, sleeping with exponential backoff (at least
// Retry-After) in between. The last answer is returned either way.
template <class F>
httplib::Result with_retries(httplib::Client& c, int max_retries, F&& request, std::atomic<uint64_t>* retries) {
  for (int attempt = 0;; ++attempt) {
    httplib::Result r = [&] {
      try {
        return request();
      } catch (const std::exception&) {
        return httplib::Result(nullptr, httplib::Error::Unknown);
      }
    }();
    bool retry = !r || r->status == 429 || r->status >= 500;
    if (!retry || attempt >= max_retries) return r;
    int delay = std::min(kMaxDelayMs, kBaseDelayMs << attempt);
    if (r && r->has_header("Retry-After")) {
      int s = std::atoi(r->get_header_value("Retry-After").c_str());
      if (s > 0) delay = std::max(delay, std::min(s, 60) * 1000);
    }
    if (retries) ++*retries;
    // A server that refuses early may leave our unread body on the socket:
    // start the next attempt on a fresh connection.
    c.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

Result<Json> send_batch(httplib::Client& c, const OnlineImportOptions& o, const OnlineBatch& b, Totals& t) {
  auto r = with_retries(c, o.retries, [&] { return c.Post(docs_path(o.index).c_str(), b.body, "application/x-ndjson"); }, &t.retries);
  auto j = json_result(r, o.url);
  bool gave_up = !r || r->status == 429 || r->status >= 500;
  if (!j && gave_up) return j.status().with_context("giving up after " + std::to_string(o.retries + 1) + " attempts");
  return j;
}

// Creates the index when missing; returns its schema (for CSV typing).
Result<index::Schema> ensure_index(httplib::Client& c, const OnlineImportOptions& o, Totals& t) {
  std::string path = "/v1/indexes/" + url_escape(o.index);
  auto got = json_result(with_retries(c, o.retries, [&] { return c.Get(path.c_str()); }, &t.retries), o.url);
  if (got.is_ok()) {
    if (!o.schema_file.empty())
      std::fprintf(stderr, "meridian import: index %s exists; --schema is only used to create it\n", o.index.c_str());
    const Json* s = got->find("schema");
    return s ? index::Schema::from_json(*s) : index::Schema();
  }
  if (got.status().code() != Status::Code::kNotFound) return got.status();
  std::string body;
  if (!o.schema_file.empty()) {
    MERIDIAN_ASSIGN_OR_RETURN(body, fs::read_file(o.schema_file));
  }
  auto created = json_result(with_retries(c, o.retries, [&] { return c.Put(path.c_str(), body, "application/json"); }, &t.retries), o.url);
  if (!created && created.status().code() != Status::Code::kAlreadyExists) return created.status();
  if (created.is_ok())
    if (const Json* s = created->find("schema")) return index::Schema::from_json(*s);
  return index::Schema();
}

void progress_line(const Totals& t, const InputStream& in, double secs, bool tty) {
  double f = in.raw_size() ? static_cast<double>(in.raw_bytes_read()) / static_cast<double>(in.raw_size()) : -1;
  char pct[16] = "";
  if (f >= 0) std::snprintf(pct, sizeof pct, "%3.0f%% ", std::min(1.0, f) * 100);
  std::fprintf(stderr, "%s%s%llu records  %.0f rec/s  %.1f MB/s%s", tty ? "\r\033[K" : "import: ", pct,
               static_cast<unsigned long long>(t.records.load()), static_cast<double>(t.records.load()) / secs,
               static_cast<double>(in.bytes_read()) / secs / 1e6, tty ? "" : "\n");
  std::fflush(stderr);
}

Status import_one(const OnlineImportOptions& o, const std::string& file, std::shared_ptr<const index::Schema> schema,
                  RejectsFile& rejects, Totals& t, std::chrono::steady_clock::time_point start) {
  MERIDIAN_ASSIGN_OR_RETURN(InputFormat fmt, parse_input_format(o.format));
  std::optional<GeoColumns> geo;
  if (!o.geo.empty()) {
    MERIDIAN_ASSIGN_OR_RETURN(geo, GeoColumns::parse(o.geo));
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto in, InputStream::open(file));
  RecordReader reader(std::move(in), fmt, file, std::move(schema), geo);

  std::mutex mu;
  std::condition_variable cv;
  std::deque<OnlineBatch> queue;
  bool eof = false;
  Status fatal;
  auto fail = [&](const Status& st) {
    std::lock_guard<std::mutex> l(mu);
    if (fatal.is_ok()) fatal = st;
    cv.notify_all();
  };
  auto sender = [&] {
    auto client = make_client(o.url, o.key, 120);
    for (;;) {
      OnlineBatch b;
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return !queue.empty() || eof || !fatal.is_ok(); });
        if (queue.empty() || !fatal.is_ok()) return;
        b = std::move(queue.front());
        queue.pop_front();
        cv.notify_all();
      }
      auto r = send_batch(*client, o, b, t);
      if (!r) return fail(r.status());
      if (const Json* n = r->find("indexed"); n && n->is_int()) t.imported += static_cast<uint64_t>(n->as_int());
      if (const Json* errs = r->find("errors"); errs && errs->is_array())
        for (const auto& e : errs->as_array()) {
          const Json* ln = e.find("line");
          const Json* why = e.find("error");
          size_t k = ln && ln->is_int() ? static_cast<size_t>(ln->as_int()) : 0;
          bool known = k >= 1 && k <= b.lines.size();
          t.rejected++;
          Status st = rejects.add(file, known ? b.lines[k - 1] : 0, why && why->is_string() ? why->as_string() : "rejected",
                                  known ? b.texts[k - 1] : "");
          if (!st.is_ok()) return fail(st);
        }
    }
  };
  std::vector<std::thread> senders;
  for (unsigned i = 0; i < o.concurrency; ++i) senders.emplace_back(sender);

  bool tty = ::isatty(2) != 0;
  auto last = std::chrono::steady_clock::now();
  OnlineBatch cur;
  auto push = [&]() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return queue.size() < o.concurrency || !fatal.is_ok(); });
    if (fatal.is_ok() && !cur.lines.empty()) queue.push_back(std::move(cur));
    cur = OnlineBatch();
    cv.notify_all();
    return fatal.is_ok();
  };
  Record r;
  while (reader.next(&r)) {
    t.records++;
    if (!r.doc.is_ok()) {
      t.rejected++;
      if (Status st = rejects.add(file, r.line, r.doc.status().message(), r.text); !st.is_ok()) {
        fail(st);
        break;
      }
    } else {
      cur.body += r.doc->dump();
      cur.body += '\n';
      cur.lines.push_back(r.line);
      cur.texts.push_back(std::move(r.text));
      if (cur.lines.size() >= o.batch && !push()) break;
    }
    r = Record();
    auto now = std::chrono::steady_clock::now();
    if (!o.quiet && now - last > std::chrono::milliseconds(tty ? 200 : 2000)) {
      last = now;
      progress_line(t, reader.stream(), std::max(1e-3, std::chrono::duration<double>(now - start).count()), tty);
    }
  }
  push();
  {
    std::lock_guard<std::mutex> l(mu);
    eof = true;
    cv.notify_all();
  }
  for (auto& th : senders) th.join();
  if (!fatal.is_ok()) return fatal;
  Status rs = reader.status();
  return rs.is_ok() ? Status::ok() : rs.with_context(file);
}

}  // namespace

int run_online_import(const OnlineImportOptions& o) {
  if (Status st = check_url(o.url); !st.is_ok()) {
    std::fprintf(stderr, "meridian import: %s\n", st.message().c_str());
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  auto client = make_client(o.url, o.key);
  Totals t;
  auto schema = ensure_index(*client, o, t);
  if (!schema) {
    std::fprintf(stderr, "meridian import: %s: %s\n", o.url.c_str(), schema.status().message().c_str());
    return 2;
  }
  auto shared = std::make_shared<const index::Schema>(std::move(*schema));
  Status fatal;
  std::string rejects_path;
  for (const auto& file : o.files) {
    RejectsFile rejects(!o.rejects.empty() ? o.rejects : (file == "-" ? std::string("stdin") : file) + ".rejects");
    rejects_path = rejects.path();
    fatal = import_one(o, file, shared, rejects, t, start);
    if (!fatal.is_ok()) break;
  }
  if (!o.quiet && ::isatty(2)) std::fprintf(stderr, "\n");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet || !fatal.is_ok() || t.rejected) {
    std::fprintf(stderr, "imported %llu, rejected %llu in %.2f s (%.0f docs/s) via %s, %llu retries\n",
                 static_cast<unsigned long long>(t.imported.load()), static_cast<unsigned long long>(t.rejected.load()),
                 secs, static_cast<double>(t.imported.load()) / std::max(secs, 1e-3), o.url.c_str(),
                 static_cast<unsigned long long>(t.retries.load()));
    if (t.rejected) std::fprintf(stderr, "rejected records are in %s\n", rejects_path.c_str());
  }
  if (!fatal.is_ok()) {
    std::fprintf(stderr, "meridian import: fatal: %s (every batch acknowledged before it is durable on the server)\n",
                 fatal.message().c_str());
    return 2;
  }
  return t.rejected ? 1 : 0;
}

}  // namespace meridian::cli
