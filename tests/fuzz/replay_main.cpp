// The fuzz targets' driver for builds without libFuzzer (gcc release and
// sanitizer builds, run by scripts/test): replays every file of the given
// corpus and crash directories through LLVMFuzzerTestOneInput, then runs a
// bounded number of random mutations of them with a fixed seed (no coverage
// feedback: a cheap smoke test; scripts/fuzz runs the real libFuzzer).
//
//   <target>_replay [--runs=N] [--max-seconds=S] [--seed=N] [--dict=FILE]
//                   [--max-len=N] [--slow-seconds=S] DIR|FILE...
//
// Mutations stop after N runs or S seconds, whichever comes first. A crash
// aborts the process (under ASan with a report) after writing the input that
// caused it to ./fuzz-crash-input; an input over S seconds of CPU time fails
// the run (exit 1; the input is in ./fuzz-slow-input); otherwise prints one
// summary line and exits 0.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

struct Options {
  uint64_t runs = 2000;
  double max_seconds = 3;
  uint64_t seed = 1;
  size_t max_len = 0;  // 0: 2 x the largest input, at least 4096
  std::string dict;
  std::vector<std::string> inputs;
};

bool read_file(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// libFuzzer dictionary format: one token per line, `name="value"` or
// `"value"`, with \\, \" and \xNN escapes; '#' starts a comment line.
std::vector<std::string> read_dict(const std::string& path) {
  std::vector<std::string> tokens;
  std::string text;
  if (!read_file(path, &text)) {
    std::fprintf(stderr, "cannot read dictionary %s\n", path.c_str());
    std::exit(2);
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t q = line.find('"');
    if (line.empty() || line[0] == '#' || q == std::string::npos) continue;
    size_t e = line.rfind('"');
    if (e <= q) continue;
    std::string tok;
    for (size_t i = q + 1; i < e; ++i) {
      if (line[i] == '\\' && i + 1 < e) {
        char c = line[++i];
        if (c == 'x' && i + 2 < e) {
          tok.push_back(static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          tok.push_back(c);
        }
      } else {
        tok.push_back(line[i]);
      }
    }
    tokens.push_back(tok);
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>* corpus, const std::vector<std::string>* dict,
          size_t max_len)
      : rng_(seed), corpus_(corpus), dict_(dict), max_len_(max_len) {}

  std::string mutate(std::string s) {
    int ops = 1 + static_cast<int>(below(4));
    for (int i = 0; i < ops; ++i) once(&s);
    if (s.size() > max_len_) s.resize(max_len_);
    return s;
  }

 private:
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  size_t pos(const std::string& s) { return below(s.size() + 1); }

  uint64_t interesting() {
    static const uint64_t k[] = {0, 1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1000, 4096, 65535,
                                 65536, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0x100000000ull,
                                 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull};
    return k[below(std::size(k))];
  }

  void once(std::string* s) {
    switch (below(12)) {
      case 0: {  // erase a range
        if (s->empty()) break;
        size_t p = below(s->size()), n = 1 + below(std::min<size_t>(16, s->size() - p));
        s->erase(p, n);
        break;
      }
      case 1: {  // insert random bytes
        size_t p = pos(*s), n = 1 + below(8);
        for (size_t i = 0; i < n; ++i) s->insert(s->begin() + static_cast<long>(p), static_cast<char>(rng_()));
        break;
      }
      case 2:  // insert a repeated byte
        s->insert(pos(*s), 1 + below(32), static_cast<char>(rng_()));
        break;
      case 3:  // set a byte
        if (!s->empty()) (*s)[below(s->size())] = static_cast<char>(rng_());
        break;
      case 4:  // flip a bit
        if (!s->empty()) (*s)[below(s->size())] ^= static_cast<char>(1u << below(8));
        break;
      case 5: {  // shuffle a few bytes
        if (s->size() < 2) break;
        size_t p = below(s->size() - 1), n = std::min<size_t>(2 + below(6), s->size() - p);
        std::shuffle(s->begin() + static_cast<long>(p), s->begin() + static_cast<long>(p + n), rng_);
        break;
      }
      case 6: {  // replace an ASCII number
        size_t p = s->find_first_of("0123456789", below(s->size() + 1));
        if (p == std::string::npos) break;
        size_t e = s->find_first_not_of("0123456789", p);
        if (e == std::string::npos) e = s->size();
        uint64_t v = below(3) == 0 ? interesting() : below(100);
        std::string num = std::to_string(v);
        if (below(4) == 0) num = "-" + num;
        s->replace(p, e - p, num);
        break;
      }
      case 7: {  // overwrite a binary integer (1, 2, 4 or 8 bytes, little-endian)
        size_t w = size_t{1} << below(4);
        if (s->size() < w) break;
        size_t p = below(s->size() - w + 1);
        uint64_t v;
        if (below(2)) {
          v = interesting();
        } else {
          v = 0;
          std::memcpy(&v, s->data() + p, w);
          v += below(33) - 16;
        }
        std::memcpy(s->data() + p, &v, w);
        break;
      }
      case 8: {  // copy a part of itself elsewhere
        if (s->empty()) break;
        size_t p = below(s->size()), n = 1 + below(std::min<size_t>(64, s->size() - p));
        std::string part = s->substr(p, n);
        if (below(2)) s->insert(pos(*s), part);
        else s->replace(below(s->size()), n, part);
        break;
      }
      case 9: {  // splice with another corpus input
        if (corpus_->empty()) break;
        const std::string& o = (*corpus_)[below(corpus_->size())];
        size_t a = pos(*s), b = below(o.size() + 1);
        *s = s->substr(0, a) + o.substr(b);
        break;
      }
      case 10: {  // insert or overwrite with a dictionary token
        if (dict_->empty()) break;
        const std::string& t = (*dict_)[below(dict_->size())];
        size_t p = pos(*s);
        if (below(2) || p + t.size() > s->size()) s->insert(p, t);
        else s->replace(p, t.size(), t);
        break;
      }
      case 11:  // truncate
        s->resize(below(s->size() + 1));
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>* corpus_;
  const std::vector<std::string>* dict_;
  size_t max_len_;
};

// The input being run, for the crash handler.
const std::string* g_current = nullptr;

void on_crash(int sig) {
  if (g_current) {
    int fd = ::open("fuzz-crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t n = ::write(fd, g_current->data(), g_current->size());
      (void)n;
      ::close(fd);
      const char msg[] = "\nreplay: the crashing input is in ./fuzz-crash-input\n";
      n = ::write(2, msg, sizeof msg - 1);
    }
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// The slowest input so far in CPU time (wall time means little on a loaded
// machine). A very slow input is a finding too: libFuzzer reports inputs
// over its -timeout.
double g_slowest = 0;
double g_slow_limit = 0;  // --slow-seconds

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void run(const std::string& in) {
  g_current = &in;
  double t0 = cpu_seconds();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  double secs = cpu_seconds() - t0;
  g_current = nullptr;
  if (secs > g_slowest) {
    g_slowest = secs;
    if (secs > 1) {
      std::ofstream("fuzz-slow-input", std::ios::binary) << in;
      std::fprintf(stderr, "replay: an input took %.1f s of CPU (saved to ./fuzz-slow-input)\n", secs);
    }
    if (g_slow_limit > 0 && secs > g_slow_limit) {
      std::fprintf(stderr, "replay: that is over the --slow-seconds limit of %.1f s\n", g_slow_limit);
      std::exit(1);
    }
  }
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* key) -> const char* {
      size_t n = std::strlen(key);
      return a.compare(0, n, key) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--runs=")) o.runs = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--max-seconds=")) o.max_seconds = std::strtod(v, nullptr);
    else if (const char* v = value("--seed=")) o.seed = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--max-len=")) o.max_len = std::strtoull(v, nullptr, 10);
    else if (const char* v = value("--slow-seconds=")) g_slow_limit = std::strtod(v, nullptr);
    else if (const char* v = value("--dict=")) o.dict = v;
    else if (a.compare(0, 2, "--") == 0) {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    } else {
      o.inputs.push_back(a);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  Options o = parse_args(argc, argv);
  // Under ASan its own handlers report faults (then abort: SIGABRT).
#if defined(__SANITIZE_ADDRESS__)
  ::signal(SIGABRT, on_crash);
#else
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_crash);
#endif
  std::vector<fs::path> files;
  for (const auto& in : o.inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      for (const auto& e : fs::directory_iterator(in))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    }
    // A missing directory (no crash fixtures yet) is fine.
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  size_t largest = 0;
  for (const auto& f : files) {
    std::string data;
    if (!read_file(f, &data)) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 2;
    }
    run(data);
    largest = std::max(largest, data.size());
    corpus.push_back(std::move(data));
  }
  std::vector<std::string> dict;
  if (!o.dict.empty()) dict = read_dict(o.dict);
  size_t max_len = o.max_len ? o.max_len : std::max<size_t>(4096, 2 * largest);
  Mutator m(o.seed, &corpus, &dict, max_len);
  auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0;
  double secs = 0;
  for (; runs < o.runs && !corpus.empty(); ++runs) {
    if (runs % 16 == 0) {
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (secs >= o.max_seconds) break;
    }
    std::string in = m.mutate(corpus[runs % corpus.size()]);
    run(in);
  }
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("replayed %zu inputs, then %llu mutations in %.2f s (seed %llu, slowest input %.3f s CPU): no crash\n",
              files.size(), static_cast<unsigned long long>(runs), secs, static_cast<unsigned long long>(o.seed),
              g_slowest);
  return 0;
}
