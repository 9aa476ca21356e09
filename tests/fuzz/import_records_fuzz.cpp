// Fuzz target: the import record reader of `meridian import`
// (src/cli/record_reader.h, input_stream.h): NDJSON, a JSON array and CSV
// (typed by the schema, inferred otherwise, optionally with two columns
// combined into a geo_point), plain, gzip or zstd compressed.
// Input: byte 0 picks the format (auto, ndjson, json, csv) and whether geo
// columns and deferred parsing are used; the rest is the file, read through
// an in-memory file (memfd) by the real InputStream::open().
// Contract: records come out as documents or as InvalidArgument errors
// naming the problem; read errors are a Status; never a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "input_stream.h"
#include "meridian/index/document.h"
#include "record_reader.h"

using namespace meridian;

namespace {

const std::shared_ptr<const index::Schema>& schema() {
  static const std::shared_ptr<const index::Schema> s = [] {
    auto j = parse_json(R"({"fields": {"name": "text", "country": "keyword", "population": "int",
        "elevation": "float", "capital": "bool", "founded": "date", "location": "geo_point"}})");
    auto r = index::Schema::from_json(*j);
    if (!r) std::abort();
    return std::make_shared<const index::Schema>(std::move(*r));
  }();
  return s;
}

// The path of an in-memory file holding `data` (rewritten on every call).
std::string memory_file(std::string_view data) {
  static int fd = [] {
    int f = memfd_create("fuzz-import", 0);
    if (f < 0) std::abort();
    return f;
  }();
  if (ftruncate(fd, 0) != 0) std::abort();
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using C = Status::Code;
  fuzz::InputReader in(data, size);
  uint8_t mode = in.u8();
  static const cli::InputFormat kFormats[] = {cli::InputFormat::kAuto, cli::InputFormat::kNdjson,
                                              cli::InputFormat::kJsonArray, cli::InputFormat::kCsv};
  cli::InputFormat fmt = kFormats[mode & 3];
  std::optional<cli::GeoColumns> geo;
  if (mode & 4) {
    auto g = cli::GeoColumns::parse("location=lat,lon");
    if (!g) std::abort();
    geo = *g;
  }
  auto stream = cli::InputStream::open(memory_file(in.rest()));
  if (!fuzz::check_result(stream, {C::kInvalidArgument, C::kIOError, C::kNotFound})) return 0;
  cli::RecordReader reader(std::move(*stream), fmt, "fuzz.input", schema(), geo);
  reader.set_defer_json(mode & 8);
  cli::Record r;
  for (int n = 0; n < 100000 && reader.next(&r); ++n) {
    if (r.deferred) r.parse();
    if (!fuzz::check_result(r.doc, {C::kInvalidArgument})) continue;
    std::vector<index::FieldDef> new_fields;
    (void)fuzz::check_result(index::parse_document(*r.doc, *schema(), &new_fields), {C::kInvalidArgument});
  }
  fuzz::check_status(reader.status(), {C::kInvalidArgument, C::kIOError, C::kCorruption});
  std::vector<std::string> fields;
  (void)cli::split_csv(std::string(reinterpret_cast<const char*>(data), size), &fields);
  return 0;
}
