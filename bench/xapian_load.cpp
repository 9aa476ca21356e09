// Peer loader for the `import` and `query` suites: builds a Xapian database
// from one of the benchmark corpora.
//
//   xapian_load text|cities FILE --db DIR
//
// text (datasets/*/text.ndjson): TermGenerator, English stemmer (STEM_SOME),
//   positions; title then body (one term space, as a search over both fields);
//   boolean term "XS"+source; value 0 = sortable_serialise(id), value 1 = source.
// cities (datasets/*/cities.ndjson): name and alt_name indexed (no stemming),
//   boolean terms "XC"+country and "XF"+feature_code, value 0 =
//   sortable_serialise(population), values 1/2 = sortable lat/lon.
// The document data is the JSON line (Meridian keeps the source too).
// The file is parsed (simdjson) before the clock starts; `seconds` covers
// add_document for every document plus the final commit(). Xapian has one
// writer per database, so this uses one core. Prints one JSON line:
//   {"engine":"xapian","kind":..,"docs":..,"bytes":..,"seconds":..,
//    "docs_per_s":..,"mb_per_s":..,"index_bytes":..}   bytes = file bytes, MB = 1e6.
#include <xapian.h>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Doc {
  std::string line, title, body, source, country, feature;
  double id = 0, population = 0, lat = 0, lon = 0;
};

std::string str(simdjson::ondemand::object& o, const char* key) {
  std::string_view sv;
  if (o[key].get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  return {};
}

double num(simdjson::ondemand::object& o, const char* key) {
  double d = 0;
  if (o[key].get_double().get(d) == simdjson::SUCCESS) return d;
  return 0;
}

bool load(const std::string& kind, const std::string& path, std::vector<Doc>* docs, uint64_t* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  simdjson::ondemand::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    *bytes += line.size() + 1;
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object o;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return false;
    if (doc.get_object().get(o) != simdjson::SUCCESS) return false;
    Doc d;
    d.line = line;
    d.id = num(o, "id");
    if (kind == "text") {
      d.title = str(o, "title");
      d.body = str(o, "body");
      d.source = str(o, "source");
    } else {
      d.title = str(o, "name");
      d.body = str(o, "alt_name");
      d.country = str(o, "country");
      d.feature = str(o, "feature_code");
      d.population = num(o, "population");
      simdjson::ondemand::object loc;
      if (o["location"].get_object().get(loc) == simdjson::SUCCESS) {
        d.lat = num(loc, "lat");
        d.lon = num(loc, "lon");
      }
    }
    docs->push_back(std::move(d));
  }
  return true;
}

uint64_t dir_bytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::string(argv[3]) != "--db" ||
      (std::string(argv[1]) != "text" && std::string(argv[1]) != "cities")) {
    std::fprintf(stderr, "usage: xapian_load text|cities FILE --db DIR\n");
    return 2;
  }
  const std::string kind = argv[1], db_dir = argv[4];
  std::vector<Doc> docs;
  uint64_t bytes = 0;
  if (!load(kind, argv[2], &docs, &bytes)) {
    std::fprintf(stderr, "xapian_load: cannot read %s\n", argv[2]);
    return 2;
  }
  try {
    auto start = std::chrono::steady_clock::now();
    Xapian::WritableDatabase db(db_dir, Xapian::DB_CREATE_OR_OVERWRITE);
    Xapian::TermGenerator tg;
    if (kind == "text") {
      tg.set_stemmer(Xapian::Stem("english"));
      tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    } else {
      tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
    }
    for (const auto& d : docs) {
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text(d.title);
      tg.increase_termpos();
      tg.index_text(d.body);
      if (kind == "text") {
        doc.add_boolean_term("XS" + d.source);
        doc.add_value(0, Xapian::sortable_serialise(d.id));
        doc.add_value(1, d.source);
      } else {
        doc.add_boolean_term("XC" + d.country);
        doc.add_boolean_term("XF" + d.feature);
        doc.add_value(0, Xapian::sortable_serialise(d.population));
        doc.add_value(1, Xapian::sortable_serialise(d.lat));
        doc.add_value(2, Xapian::sortable_serialise(d.lon));
      }
      doc.set_data(d.line);
      db.add_document(doc);
    }
    db.commit();
    db.close();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "{\"engine\":\"xapian\",\"kind\":\"%s\",\"docs\":%zu,\"bytes\":%llu,\"seconds\":%.4f,"
        "\"docs_per_s\":%.1f,\"mb_per_s\":%.3f,\"index_bytes\":%llu,\"xapian_version\":\"%s\"}\n",
        kind.c_str(), docs.size(), static_cast<unsigned long long>(bytes), s,
        static_cast<double>(docs.size()) / s, static_cast<double>(bytes) / 1e6 / s,
        static_cast<unsigned long long>(dir_bytes(db_dir)), Xapian::version_string());
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian_load: %s\n", e.get_description().c_str());
    return 1;
  }
  return 0;
}
