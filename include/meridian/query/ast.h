// The query model: a plain, documented tree that both front ends (the
// query-string parser and the JSON DSL parser) produce and the planner walks.
//
// A Query holds one node (a std::variant over the structs below); composite
// nodes (Bool, ConstantScore) own their children by value, so a Query is a
// deep-copyable value type: copy it freely, compare it with ==, print it with
// to_string(). Walk it with std::visit or with kind() + as<T>(). Nothing here
// touches the index: field names and texts are kept as written (text is
// analyzed later by the planner, with the field's analyzer).
//
// Field "*" means "the index's default search fields" (resolved by the planner).
// Every node carries a boost (default 1); for non-scoring nodes (filters,
// MatchNone) it is kept but has no effect.
//
// Thread safety: value types, no shared state; const access from many threads
// is safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::query {

struct Query;

// Deep-copying owning pointer, for a single child of a node. Never null
// except after being moved from.
template <typename T>
class Box {
 public:
  Box() : p_(std::make_unique<T>()) {}
  Box(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit by design
  Box(const Box& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) { if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr; return *this; }
  Box& operator=(Box&&) noexcept = default;
  const T& operator*() const { return *p_; }
  T& operator*() { return *p_; }
  const T* operator->() const { return p_.get(); }
  T* operator->() { return p_.get(); }
  friend bool operator==(const Box& a, const Box& b) { return *a == *b; }

 private:
  std::unique_ptr<T> p_;
};

enum class Operator : uint8_t { kOr, kAnd };

// How many edits a fuzzy term may use. AUTO picks by term length (in code
// points): < low → 0 edits, < high → 1, otherwise 2. Plain AUTO is AUTO:3,6
// (0 edits up to 2 chars, 1 up to 5, 2 beyond).
struct Fuzziness {
  bool is_auto = false;
  int edits = 0;  // 0, 1 or 2 when !is_auto
  int low = 3;
  int high = 6;
  // Words of digits only take no edits (a typo budget's rule; see TypoBudget).
  bool exact_numbers = false;

  static Fuzziness fixed(int edits) { return Fuzziness{false, edits, 3, 6}; }
  static Fuzziness automatic(int low = 3, int high = 6) { return Fuzziness{true, 0, low, high}; }
  int edits_for(size_t term_chars) const;
  bool is_none() const { return !is_auto && edits == 0; }
  // "0", "1", "2", "AUTO", "AUTO:4,7".
  std::string to_string() const;
  // Accepts the forms to_string() prints ("auto" in any case); errors are
  // Status::invalid with a message starting "expected".
  static Result<Fuzziness> parse(std::string_view text);
  bool operator==(const Fuzziness&) const = default;
};

// The typo budget of the words of `q` (docs/QUERY.md, "Typo tolerance"),
// Meilisearch's defaults: no typo on a word under 5 code points, one from 5,
// two from 9, and none on a number (a word of digits only). Edits are
// counted on the folded, unstemmed word against the index's surface words.
struct TypoBudget {
  int min_word_length_one_typo = 5;
  int min_word_length_two_typos = 9;
  bool typos_on_numbers = false;
  // As a Fuzziness: AUTO:5,9 with exact_numbers.
  Fuzziness fuzziness() const {
    Fuzziness f = Fuzziness::automatic(min_word_length_one_typo, min_word_length_two_typos);
    f.exact_numbers = !typos_on_numbers;
    return f;
  }
};

// minimum_should_match: unset, a count (negative: "all but N"), or a
// percentage (negative: "all but N%"), as in Elasticsearch.
struct MinimumShouldMatch {
  enum class Kind : uint8_t { kDefault, kCount, kPercent };
  Kind kind = Kind::kDefault;
  int value = 0;

  bool is_default() const { return kind == Kind::kDefault; }
  // Number of the `optional_clauses` that must match, clamped to
  // [0, optional_clauses]; `default_value` when unset.
  int resolve(int optional_clauses, int default_value) const;
  std::string to_string() const;  // "", "2", "-1", "75%", "-25%"
  static Result<MinimumShouldMatch> parse(std::string_view text);  // "2", "-1", "75%"
  bool operator==(const MinimumShouldMatch&) const = default;
};

// A field name with a boost: "title^2" → {"title", 2}.
struct FieldBoost {
  std::string field;
  double boost = 1;
  static Result<FieldBoost> parse(std::string_view text);
  bool operator==(const FieldBoost&) const = default;
};

struct GeoPoint {
  double lat = 0;
  double lon = 0;
  bool operator==(const GeoPoint&) const = default;
};

// "10km", "1.5mi", "500" (meters), "20 m": distance in meters. Units: mm cm m
// km in ft yd mi nmi (also NM). Errors start with "expected".
Result<double> parse_distance_m(std::string_view text);
// "48.85,2.35" → {lat 48.85, lon 2.35}; validates the ranges.
Result<GeoPoint> parse_lat_lon(std::string_view text);
// Checks lat in [-90, 90] and lon in [-180, 180].
Status check_point(const GeoPoint& p);

// ---- nodes (the order matches Kind and the variant) ----

struct MatchAll { double boost = 1; bool operator==(const MatchAll&) const = default; };
struct MatchNone { double boost = 1; bool operator==(const MatchNone&) const = default; };

// Exact term (not analyzed). value: string, number or bool.
struct Term {
  std::string field;
  Json value;
  double boost = 1;
  bool operator==(const Term&) const = default;
};

struct Terms {
  std::string field;
  std::vector<Json> values;
  double boost = 1;
  bool operator==(const Terms&) const = default;
};

// Which words of a `q` search a text query stands for, for the ranking
// rules (docs/QUERY.md "Ranking rules"); not part of the canonical form.
// first < 0: none (a DSL query). span 0: the text's k-th word (space
// separated) stands for q word first + k. span n > 0: every word of the
// text stands for the q words [first, first + n) (a synonym of them).
// extra_typos: what a match of it costs in the `typo` rule beyond its own
// typos (1 for a concatenation of two q words). split: a single word also
// matches as the phrase of its best split into two indexed words
// ("spellchecker" as "spell checker"), at one typo.
struct QWords {
  int first = -1;
  int span = 0;
  int extra_typos = 0;
  bool split = false;
  bool operator==(const QWords&) const = default;
};

// Analyzed text; each word becomes a term clause joined by `op`.
// prefix_last: the last word also matches as a prefix (search-as-you-type).
struct Match {
  std::string field;
  std::string text;
  Operator op = Operator::kOr;
  Fuzziness fuzziness;      // default: exact
  int prefix_length = 0;    // leading chars that must match exactly when fuzzy
  int max_expansions = 50;  // terms a fuzzy/prefix word may expand to
  MinimumShouldMatch minimum_should_match;
  bool prefix_last = false;
  bool transpositions = true;  // a swap of two adjacent chars counts as one edit
  double boost = 1;
  QWords q_words;
  bool operator==(const Match&) const = default;
};

// Words in order, at most `slop` moves apart. prefix: the last word is a
// prefix (match_phrase_prefix), expanded to at most max_expansions terms.
struct MatchPhrase {
  std::string field;
  std::string text;
  int slop = 0;
  bool prefix = false;
  int max_expansions = 50;
  double boost = 1;
  QWords q_words;
  bool operator==(const MatchPhrase&) const = default;
};

enum class MultiMatchType : uint8_t { kBestFields, kMostFields };

// Match over several fields: best_fields scores by the best field,
// most_fields sums the fields' scores.
struct MultiMatch {
  std::vector<FieldBoost> fields;
  std::string text;
  MultiMatchType type = MultiMatchType::kBestFields;
  Operator op = Operator::kOr;
  Fuzziness fuzziness;
  int prefix_length = 0;
  int max_expansions = 50;
  MinimumShouldMatch minimum_should_match;
  bool prefix_last = false;
  bool transpositions = true;
  double boost = 1;
  QWords q_words;
  bool operator==(const MultiMatch&) const = default;
};

struct Prefix {
  std::string field;
  std::string value;
  double boost = 1;
  bool operator==(const Prefix&) const = default;
};

// Pattern: '*' any sequence, '?' one code point, '\' escapes the next char.
struct Wildcard {
  std::string field;
  std::string pattern;
  double boost = 1;
  bool operator==(const Wildcard&) const = default;
};

// Lucene-style regular expression over whole terms (anchored).
struct Regexp {
  std::string field;
  std::string pattern;
  double boost = 1;
  bool operator==(const Regexp&) const = default;
};

// One term (not analyzed) within `fuzziness` edits.
struct Fuzzy {
  std::string field;
  std::string value;
  Fuzziness fuzziness = Fuzziness::automatic();
  int prefix_length = 0;
  bool transpositions = true;
  int max_expansions = 50;
  double boost = 1;
  bool operator==(const Fuzzy&) const = default;
};

// Bounds are numbers or strings (dates, keywords); absent = unbounded.
struct Range {
  std::string field;
  std::optional<Json> gt, gte, lt, lte;
  std::optional<std::string> format;  // date format of string bounds
  double boost = 1;
  bool operator==(const Range&) const = default;
};

struct Exists {
  std::string field;
  double boost = 1;
  bool operator==(const Exists&) const = default;
};

// Documents by external id.
struct Ids {
  std::vector<std::string> values;
  double boost = 1;
  bool operator==(const Ids&) const = default;
};

// Elasticsearch bool semantics: must (scored, required), filter (required,
// not scored), must_not (excluded), should (optional and scored; when there
// is no must/filter, minimum_should_match defaults to 1). A Bool with only
// must_not matches every document except those.
struct Bool {
  std::vector<Query> must, should, must_not, filter;
  MinimumShouldMatch minimum_should_match;
  double boost = 1;
  bool operator==(const Bool&) const;
};

// Every document matching `filter`, each scored `boost`.
struct ConstantScore {
  Box<Query> filter;
  double boost = 1;
  bool operator==(const ConstantScore&) const;
};

struct GeoDistance {
  std::string field;
  double lat = 0, lon = 0;
  double distance_m = 0;
  double boost = 1;
  bool operator==(const GeoDistance&) const = default;
};

struct GeoBoundingBox {
  std::string field;
  double top = 0, left = 0, bottom = 0, right = 0;  // left > right crosses the antimeridian
  double boost = 1;
  bool operator==(const GeoBoundingBox&) const = default;
};

// rings[0] is the outer ring, the rest are holes; rings are not closed
// (the last point connects back to the first).
struct GeoPolygon {
  std::string field;
  std::vector<std::vector<GeoPoint>> rings;
  double boost = 1;
  bool operator==(const GeoPolygon&) const = default;
};

// Points inside one geohash cell (base32 geohash, 1 to 12 chars).
struct GeohashCell {
  std::string field;
  std::string hash;
  double boost = 1;
  bool operator==(const GeohashCell&) const = default;
};

enum class Kind : uint8_t {
  kMatchAll, kMatchNone, kTerm, kTerms, kMatch, kMatchPhrase, kMultiMatch, kPrefix, kWildcard,
  kRegexp, kFuzzy, kRange, kExists, kIds, kBool, kConstantScore, kGeoDistance, kGeoBoundingBox,
  kGeoPolygon, kGeohashCell,
};

struct Query {
  using Node = std::variant<MatchAll, MatchNone, Term, Terms, Match, MatchPhrase, MultiMatch, Prefix,
                            Wildcard, Regexp, Fuzzy, Range, Exists, Ids, Bool, ConstantScore,
                            GeoDistance, GeoBoundingBox, GeoPolygon, GeohashCell>;
  Node node;

  Query() = default;  // MatchAll
  // Box<Query> is excluded first: asking whether a Node is constructible
  // from it recurses into this constructor, which clang rejects.
  template <typename T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, Query> && !std::is_same_v<std::remove_cvref_t<T>, Box<Query>> &&
             std::is_constructible_v<Node, T &&>)
  Query(T&& n) : node(std::forward<T>(n)) {}  // NOLINT: implicit from any node

  Kind kind() const { return static_cast<Kind>(node.index()); }
  template <typename T> const T* as() const { return std::get_if<T>(&node); }
  template <typename T> T* as() { return std::get_if<T>(&node); }
  double boost() const;
  void set_boost(double b);
  bool operator==(const Query&) const = default;
};

std::string_view kind_name(Kind k);  // "match_all", "bool", "geo_distance", ...

// Canonical one-line form, deterministic (usable as a cache key):
//   bool(must=[match(title,"new york",op=and)],filter=[range(year,gte=1990)])^2
// Default-valued options are omitted; strings are JSON-quoted.
std::string to_string(const Query& q);
std::string to_string(const std::vector<FieldBoost>& fields);  // [title^2,body]

// Formats a number the shortest way that reads back exactly ("2", "1.5").
std::string format_number(double d);

}  // namespace meridian::query
