#include "meridian/index/surface_words.h"

#include <doctest/doctest.h>

#include <map>

#include "../test_util.h"
#include "meridian/base/file.h"
#include "meridian/index/document.h"
#include "meridian/index/segment.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/segment_merger.h"
#include "meridian/termdict/levenshtein.h"
#include "meridian/termdict/wildcard.h"

using namespace meridian;
using namespace meridian::index;

namespace {

Schema schema() {
  auto s = Schema::from_json(*parse_json(R"({"fields": {"title": "text", "tag": "keyword"}})"));
  REQUIRE(s.is_ok());
  return *s;
}

std::shared_ptr<const Segment> build(const std::string& dir, uint64_t id, const std::vector<std::string>& titles) {
  Schema s = schema();
  SegmentBuilder b;
  int n = 0;
  for (const auto& t : titles) {
    Json d;
    d.set("id", static_cast<int64_t>(id * 1000 + n++));
    d.set("title", t);
    d.set("tag", "Constitutions");
    auto pd = parse_document(d, s, nullptr);
    REQUIRE(pd.is_ok());
    b.add(*pd, s);
  }
  REQUIRE(b.write(dir, id, false).is_ok());
  auto seg = Segment::open(dir, id);
  REQUIRE(seg.is_ok());
  return *seg;
}

// Every word of `field`: word -> stem.
std::map<std::string, std::string> all_words(const Segment& seg, std::string_view field) {
  std::map<std::string, std::string> out;
  REQUIRE(seg.words() != nullptr);
  for (auto it = seg.words()->begin(); it.valid(); it.next()) {
    SurfaceEntry e;
    REQUIRE(parse_surface_key(it.term(), &e));
    if (e.field == field) out[std::string(e.word)] = std::string(e.stem);
  }
  return out;
}

}  // namespace

TEST_CASE("surface words: a key keeps an empty stem for a word that is its own stem") {
  CHECK(surface_key("title", "rivers", "river") == std::string("title\0rivers\0river", 18));
  CHECK(surface_key("title", "river", "river") == std::string("title\0river\0", 12));
  SurfaceEntry e;
  const std::string own = surface_key("title", "river", "river");
  REQUIRE(parse_surface_key(own, &e));
  CHECK(e.field == "title");
  CHECK(e.word == "river");
  CHECK(e.stem == "river");
  const std::string other = surface_key("a.b", "rivers", "river");
  REQUIRE(parse_surface_key(other, &e));
  CHECK(e.word == "rivers");
  CHECK(e.stem == "river");
  CHECK_FALSE(parse_surface_key("title\0river", &e));
}

TEST_CASE("surface words: the builder writes every folded unstemmed word of a text field with its stem") {
  TempDir dir;
  auto seg = build(dir.path(), 1, {"The Constitutions of Paris", "rivers and a river", "Café crème"});
  auto words = all_words(*seg, "title");
  CHECK(words["constitutions"] == "constitut");
  CHECK(words["paris"] == "pari");
  CHECK(words["rivers"] == "river");
  CHECK(words["river"] == "river");
  CHECK(words["cafe"] == "cafe");  // accents folded like the terms
  CHECK(words.count("the") == 1);  // no stopwords by default: every word
  CHECK(all_words(*seg, "tag").empty());  // keyword fields have no surface words
  // Each stem is a term of the segment.
  for (const auto& [w, stem] : words) {
    auto p = seg->postings_for(std::string("title") + '\0' + stem);
    REQUIRE(p.is_ok());
    CHECK_MESSAGE(p->has_value(), w);
  }
  std::string stem;
  auto known = find_surface_word(*seg->words(), "title", "rivers", &stem);
  REQUIRE(known.is_ok());
  CHECK(*known);
  CHECK(stem == "river");
  known = find_surface_word(*seg->words(), "title", "rive", &stem);
  REQUIRE(known.is_ok());
  CHECK_FALSE(*known);
  CHECK(fs::exists(segment_file(dir.path(), 1, kWordsExt)));
}

TEST_CASE("surface words: the Levenshtein walk runs over words, not stems, and reports each word's stem") {
  TempDir dir;
  auto seg = build(dir.path(), 1, {"constitution constitutional", "constant", "institution"});
  auto a = termdict::levenshtein_automaton("constituion", 1, true);
  REQUIRE(a.is_ok());
  std::map<std::string, std::pair<std::string, int>> got;
  REQUIRE(walk_surface_words(*seg->words(), "title", *a, 1000, [&](std::string_view w, std::string_view stem, int e) {
            got[std::string(w)] = {std::string(stem), e};
            return true;
          }).is_ok());
  REQUIRE(got.size() == 1);
  CHECK(got["constitution"] == std::pair<std::string, int>("constitut", 1));
  // The stem itself is three edits away: a walk over terms would miss it.
  CHECK(termdict::edit_distance("constituion", "constitut", true) == 3);
  // Prefix walks see the words too; the limit is honoured.
  auto p = termdict::prefix_automaton("constitution");
  REQUIRE(p.is_ok());
  got.clear();
  REQUIRE(walk_surface_words(*seg->words(), "title", *p, 1000, [&](std::string_view w, std::string_view stem, int e) {
            got[std::string(w)] = {std::string(stem), e};
            return true;
          }).is_ok());
  CHECK(got.size() == 2);
  size_t calls = 0;
  REQUIRE(walk_surface_words(*seg->words(), "title", *p, 1, [&](std::string_view, std::string_view, int) {
            ++calls;
            return true;
          }).is_ok());
  CHECK(calls == 1);
  // Another field's words are never reached.
  got.clear();
  REQUIRE(walk_surface_words(*seg->words(), "tag", *p, 1000, [&](std::string_view w, std::string_view, int) {
            got[std::string(w)] = {};
            return true;
          }).is_ok());
  CHECK(got.empty());
}

TEST_CASE("surface words: the prefix scan finds the words, stems and order of the prefix automaton's walk") {
  TempDir dir;
  auto seg = build(dir.path(), 1, {"constitution constitutional constant institution", "rivers river riverside",
                                   "a ab abc abd b", "zzz"});
  using Found = std::vector<std::pair<std::string, std::string>>;  // (word, stem) in the order reported
  const std::vector<std::string> prefixes = {"",      "a",       "ab",   "abc", "abz",     "con", "constitution",
                                             "constitutionally",   "river", "rivers", "z", "zzzz", "\xff",
                                             std::string("ab\0", 3), std::string("\0", 1)};
  for (const std::string field : {"title", "tag", "nope"}) {
    for (const auto& prefix : prefixes) {
      for (size_t limit : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{1000}}) {
        auto a = termdict::prefix_automaton(prefix);
        REQUIRE(a.is_ok());
        Found want, got;
        REQUIRE(walk_surface_words(*seg->words(), field, *a, limit, [&](std::string_view w, std::string_view stem, int) {
                  want.emplace_back(w, stem);
                  return true;
                }).is_ok());
        REQUIRE(walk_surface_prefix(*seg->words(), field, prefix, limit, [&](std::string_view w, std::string_view stem) {
                  got.emplace_back(w, stem);
                  return true;
                }).is_ok());
        CHECK_MESSAGE(got == want, field << " '" << prefix << "' limit " << limit);
      }
    }
  }
  // The word itself comes first; the stems are the words' own.
  Found got;
  REQUIRE(walk_surface_prefix(*seg->words(), "title", "river", 10, [&](std::string_view w, std::string_view stem) {
            got.emplace_back(w, stem);
            return true;
          }).is_ok());
  CHECK(got == Found{{"river", "river"}, {"rivers", "river"}, {"riverside", "riversid"}});
  // The callback stops the scan.
  size_t calls = 0;
  REQUIRE(walk_surface_prefix(*seg->words(), "title", "", 1000, [&](std::string_view, std::string_view) {
            return ++calls < 2;
          }).is_ok());
  CHECK(calls == 2);
}

TEST_CASE("surface words: a merge keeps the words of every input") {
  TempDir dir;
  auto a = build(dir.path(), 1, {"rivers of Paris"});
  auto b = build(dir.path(), 2, {"constitutions", "bridges"});
  REQUIRE(a->words() != nullptr);
  REQUIRE(b->words() != nullptr);
  std::vector<SegmentView> in = {{a, nullptr}, {b, nullptr}};
  auto r = merge_segments_to(in, dir.path(), 3, false);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  CHECK(fs::exists(segment_file(dir.path(), 3, kWordsExt)));
  auto m = Segment::open(dir.path(), 3);
  REQUIRE(m.is_ok());
  auto words = all_words(**m, "title");
  CHECK(words["rivers"] == "river");
  CHECK(words["paris"] == "pari");
  CHECK(words["constitutions"] == "constitut");
  CHECK(words["bridges"] == "bridg");
  CHECK(words.size() == 5);  // rivers of paris constitutions bridges
}

TEST_CASE("surface words: a segment written without the file opens and merges without it") {
  TempDir dir;
  auto a = build(dir.path(), 1, {"rivers of Paris"});
  auto b = build(dir.path(), 2, {"constitutions"});
  REQUIRE(fs::remove_file(segment_file(dir.path(), 2, kWordsExt)).is_ok());
  auto old = Segment::open(dir.path(), 2);
  REQUIRE(old.is_ok());
  CHECK((*old)->words() == nullptr);
  CHECK((*old)->num_docs() == 1);
  // A merge with such an input writes no words file: its words would be incomplete.
  std::vector<SegmentView> in = {{a, nullptr}, {*old, nullptr}};
  REQUIRE(merge_segments_to(in, dir.path(), 3, false).is_ok());
  auto m = Segment::open(dir.path(), 3);
  REQUIRE(m.is_ok());
  CHECK((*m)->words() == nullptr);
  CHECK_FALSE(fs::exists(segment_file(dir.path(), 3, kWordsExt)));
}

TEST_CASE("surface words: a damaged words file is reported by name when the segment opens") {
  TempDir dir;
  build(dir.path(), 1, {"rivers of Paris"});
  const std::string path = segment_file(dir.path(), 1, kWordsExt);
  auto bytes = fs::read_file(path);
  REQUIRE(bytes.is_ok());
  std::string bad = *bytes;
  bad.resize(bad.size() / 2);
  REQUIRE(fs::remove_file(path).is_ok());
  REQUIRE(fs::write_file_new(path, bad, false).is_ok());
  auto seg = Segment::open(dir.path(), 1);
  REQUIRE_FALSE(seg.is_ok());
  CHECK(seg.status().message().find(".words") != std::string::npos);
}

TEST_CASE("word postings: the words of a stem with two or more words, each with its documents") {
  TempDir dir;
  auto seg = build(dir.path(), 1, {"rivers and a river", "a river", "Paris", "rivers"});
  auto docs_of = [&](std::string_view word) {
    std::vector<uint32_t> v;
    auto tp = seg->postings_for(word_docs_key("title", word));
    REQUIRE(tp.is_ok());
    if (*tp) (*tp)->docs().for_each([&](uint32_t d) { v.push_back(d); return true; });
    return v;
  };
  CHECK(docs_of("river") == std::vector<uint32_t>{0, 1});
  CHECK(docs_of("rivers") == std::vector<uint32_t>{0, 3});
  CHECK(docs_of("paris").empty());  // its stem's only word: the stem's documents say it
  CHECK(docs_of("and").empty());
  auto marker = seg->postings_for(kWordDocsMarker);
  REQUIRE(marker.is_ok());
  REQUIRE(marker->has_value());
  CHECK((*marker)->doc_freq() == 4);
  // The words file marks the words of itemized stems.
  for (auto [word, want] : std::vector<std::pair<std::string, bool>>{{"river", true}, {"rivers", true}, {"paris", false}}) {
    bool itemized = !want;
    auto known = find_surface_word(*seg->words(), "title", word, nullptr, &itemized);
    REQUIRE(known.is_ok());
    CHECK(*known);
    CHECK_MESSAGE(itemized == want, word);
  }
  std::vector<std::string> keys = {surface_key("title", "rivers", "river"), surface_key("title", "river", "river"),
                                   surface_key("title", "paris", "pari"), surface_key("body", "river", "river")};
  std::vector<ItemizedWord> items;
  REQUIRE(build_surface_words(&keys, &items).is_ok());
  REQUIRE(items.size() == 2);
  CHECK(items[0].docs_key == word_docs_key("title", "river"));
  CHECK(items[1].docs_key == word_docs_key("title", "rivers"));
  CHECK(items[1].stem == "river");
}

TEST_CASE("word postings: a merge itemizes a stem whose words were alone in each input, and drops deleted documents") {
  TempDir dir;
  auto a = build(dir.path(), 1, {"a river", "the river flows"});
  auto b = build(dir.path(), 2, {"rivers", "many rivers"});
  for (const auto& s : {a, b}) {
    auto tp = s->postings_for(word_docs_key("title", "river"));
    REQUIRE(tp.is_ok());
    CHECK_FALSE(tp->has_value());
  }
  std::vector<SegmentView> in;
  in.push_back(SegmentView{a, nullptr});
  auto del = std::make_shared<postings::Bitmap>();
  del->add(0);  // "rivers" (doc 0 of b) deleted
  in.push_back(SegmentView{b, del});
  auto r = merge_segments_to(in, dir.path(), 3, false);
  REQUIRE(r.is_ok());
  auto m = Segment::open(dir.path(), 3);
  REQUIRE(m.is_ok());
  auto docs_of = [&](std::string_view word) {
    std::vector<uint32_t> v;
    auto tp = (*m)->postings_for(word_docs_key("title", word));
    REQUIRE(tp.is_ok());
    if (*tp) (*tp)->docs().for_each([&](uint32_t d) { v.push_back(d); return true; });
    return v;
  };
  CHECK(docs_of("river") == std::vector<uint32_t>{0, 1});
  CHECK(docs_of("rivers") == std::vector<uint32_t>{2});  // "many rivers"
  bool itemized = false;
  auto known = find_surface_word(*(*m)->words(), "title", "rivers", nullptr, &itemized);
  REQUIRE(known.is_ok());
  CHECK(itemized);
}
