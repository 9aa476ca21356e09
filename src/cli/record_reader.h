// RecordReader: turns an input stream into JSON documents, one at a time,
// each with the line number it started on: NDJSON (one object per line), a
// JSON array of objects, or CSV with a header row (values typed by the
// schema when it knows the column, otherwise inferred; two columns can be
// combined into a geo_point). Not thread-safe: one reader thread owns it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "input_stream.h"
#include "meridian/base/json.h"
#include "meridian/index/schema.h"

namespace meridian::cli {

enum class InputFormat { kAuto, kNdjson, kJsonArray, kCsv, kDebezium };  // debezium: cdc::ingest_debezium_file
Result<InputFormat> parse_input_format(const std::string& name);

struct GeoColumns {
  std::string field = "location";
  std::string lat;
  std::string lon;
  // "lat,lon" or "field=lat,lon"
  static Result<GeoColumns> parse(const std::string& spec);
  // JSON documents (NDJSON, array): moves the top-level members `lat` and
  // `lon` (numbers, or strings holding numbers) into `field` as
  // {"lat", "lon"}. A document with neither is left alone; one with only
  // one of them, or a value that is not a number, is an error naming them.
  Status combine(Json* doc) const;
};

struct Record {
  uint64_t line = 0;  // 1-based line where the record starts (array: element index)
  std::string text;   // the raw record (for the rejects file)
  Result<Json> doc = Status::invalid("empty");
  bool deferred = false;  // NDJSON with defer_json: `doc` is parsed by parse()
  const GeoColumns* geo = nullptr;  // --geo, applied by parse() (owned by the reader)
  // Parses `text` into `doc` when the reader deferred it (any thread).
  void parse();
};

class RecordReader {
 public:
  RecordReader(std::unique_ptr<InputStream> in, InputFormat fmt, const std::string& path,
               std::shared_ptr<const index::Schema> schema, std::optional<GeoColumns> geo);
  // Next record; false at the end of input (check status() for read errors).
  bool next(Record* r);
  // NDJSON: leave each line's JSON parsing to Record::parse(), so that
  // worker threads parse while this reader only cuts lines.
  void set_defer_json(bool on) { defer_json_ = on; }
  Status status() const;
  const InputStream& stream() const { return *in_; }
  InputFormat format() const { return fmt_; }

 private:
  bool next_csv(Record* r);
  bool next_array(Record* r);
  Json csv_value(const std::string& column, const std::string& value) const;

  std::unique_ptr<InputStream> in_;
  InputFormat fmt_;
  std::string path_;
  std::shared_ptr<const index::Schema> schema_;
  std::optional<GeoColumns> geo_;
  uint64_t line_ = 0;
  std::string pending_;  // first line read while detecting the format
  bool has_pending_ = false;
  bool defer_json_ = false;
  std::vector<std::string> header_;
  // JSON array mode: the whole array, parsed once
  std::optional<Json> array_;
  size_t array_pos_ = 0;
  Status status_;
};

// Splits one CSV record (RFC 4180). Returns false if a quoted field is still
// open at the end of `text` (the record continues on the next line).
bool split_csv(const std::string& text, std::vector<std::string>* fields);

}  // namespace meridian::cli
