// IndexSettings: the per-index search settings of
// GET/PATCH /v1/indexes/{index}/settings (docs/API.md, "Index settings"):
// synonyms, q_fields, typo_tolerance, stop_words, distinct,
// refresh_interval and ranking_rules. None of them changes what the index
// files hold: they are read at query time (and refresh_interval by the
// background refresh), so a change applies at once and needs no reindex.
//
// The model is parsed and validated here (against the index's schema for
// field names), serialized back to its canonical JSON, and stored in the
// index directory's SETTINGS file (docs/FORMAT.md, "Settings"). Words
// (synonyms, stop words, disable_on_words) are kept folded as the analysis
// folds text (NFKC case fold, accents removed), so they compare with folded
// query words.
//
// Value types and free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/schema.h"

namespace meridian::index {

// Synonyms, applied to the words of `q` at query time. A multi-way group
// makes every member match every other; a one-way entry makes the key also
// match its values (not the reverse). Every entry is a sequence of words
// (one or more, separated by spaces); a multi-word synonym matches as a
// phrase (adjacent words, in order).
struct SynonymSettings {
  std::vector<std::vector<std::string>> multi_way;          // groups of >= 2 entries
  std::map<std::string, std::vector<std::string>> one_way;  // entry -> entries
  // Derived from the two above by parse_index_settings (lookup()): every
  // entry -> what it also matches, and the most words of an entry.
  std::map<std::string, std::vector<std::string>, std::less<>> lookup;
  size_t max_words = 0;
  bool empty() const { return multi_way.empty() && one_way.empty(); }
  void build_lookup();
  bool operator==(const SynonymSettings&) const = default;
};

struct TypoToleranceSettings {
  bool enabled = true;
  int min_word_length_one_typo = 5;
  int min_word_length_two_typos = 9;
  std::vector<std::string> disable_on_words;   // folded words that take no typo
  std::vector<std::string> disable_on_fields;  // fields matched without typos
  bool operator==(const TypoToleranceSettings&) const = default;
};

struct QFieldWeight {
  std::string field;
  double weight = 1;
  bool operator==(const QFieldWeight&) const = default;
};

inline constexpr uint32_t kMinRefreshIntervalMs = 1;
inline constexpr uint32_t kMaxRefreshIntervalMs = 3600 * 1000;

struct IndexSettings {
  SynonymSettings synonyms;
  std::vector<QFieldWeight> q_fields;  // empty: every text field
  TypoToleranceSettings typo_tolerance;
  std::vector<std::string> stop_words;  // folded
  std::string distinct;                 // "" = none
  std::optional<uint32_t> refresh_interval_ms;  // unset: the server's default
  std::vector<std::string> ranking_rules;       // empty = default_ranking_rules()
  // Not a setting: Index::set_settings numbers each change (1, 2, ...; 0 at
  // open), so that a query cache key can name the settings it ran with.
  uint64_t version = 0;

  // Canonical JSON (every key; refresh_interval shown as the effective value,
  // `default_refresh_ms` when unset; ranking_rules as the effective list).
  Json to_json(uint32_t default_refresh_ms) const;
  // The stored form: like to_json, but refresh_interval and ranking_rules
  // only when set (so that a later change of the default applies).
  Json to_stored_json() const;
  bool operator==(const IndexSettings&) const = default;
};

// The keys, in the order GET shows them.
const std::vector<std::string_view>& settings_keys();
// words, typo, proximity, attribute, exactness, bm25.
const std::vector<std::string>& default_ranking_rules();

// Parses a whole settings object (absent keys take their defaults). Errors
// are Status::invalid("<key path>: expected ..."), e.g.
// "typo_tolerance.min_word_length_one_typo: expected an integer 0..255".
// With `schema`, field names (q_fields, distinct,
// typo_tolerance.disable_on_fields, custom ranking rules) must exist in it
// with a suitable type.
Result<IndexSettings> parse_index_settings(const Json& j, const Schema* schema);

// JSON merge patch (RFC 7396) of `current`'s stored form with `patch` (an
// object), parsed and validated as a whole: a key set to null returns to
// its default.
Result<IndexSettings> patch_index_settings(const IndexSettings& current, const Json& patch, const Schema* schema);

// "500ms", "1s", "1.5s", "2m" or a number of milliseconds.
Result<uint32_t> parse_interval_ms(const Json& v, const std::string& path);
std::string format_interval_ms(uint32_t ms);

// Folds a word or phrase as the analysis does (case fold, accents removed),
// blanks collapsed to single spaces.
std::string fold_words(std::string_view text);

// The SETTINGS file of an index directory: absent → default settings.
inline constexpr std::string_view kSettingsFile = "SETTINGS";
inline constexpr uint32_t kSettingsVersion = 1;
Result<IndexSettings> load_index_settings(const std::string& dir);
// Atomically (temp file, fsync, rename, fsync of the directory).
Status store_index_settings(const std::string& dir, const IndexSettings& s);

}  // namespace meridian::index
