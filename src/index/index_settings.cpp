// Index settings: parsing, validation, canonical JSON and the SETTINGS file.
#include "meridian/index/index_settings.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "meridian/analysis/folding.h"
#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/base/json_merge_patch.h"
#include "meridian/index/index.h"

namespace meridian::index {

namespace {

constexpr uint32_t kSettingsMagic = fourcc("MSET");

Status bad(const std::string& path, const std::string& what, const Json& got) {
  return Status::invalid(path + ": expected " + what + ", got " + got.dump());
}

// A word or phrase of synonyms/stop words: a non-empty string, folded.
Result<std::string> word_of(const Json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "a string", v);
  std::string w = fold_words(v.as_string());
  if (w.empty()) return bad(path, "a non-blank string", v);
  return w;
}

Result<std::vector<std::string>> words_of(const Json& v, const std::string& path) {
  if (!v.is_array()) return bad(path, "an array of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(std::string w, word_of(v.as_array()[i], path + "[" + std::to_string(i) + "]"));
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
  }
  return out;
}

Status add_group(const Json& v, const std::string& path, SynonymSettings* s) {
  MERIDIAN_ASSIGN_OR_RETURN(auto group, words_of(v, path));
  if (group.size() < 2) return bad(path, "a group of at least two different words", v);
  s->multi_way.push_back(std::move(group));
  return Status::ok();
}

Status add_one_way(const Json& v, const std::string& path, SynonymSettings* s) {
  for (const auto& [k, vals] : v.as_object()) {
    std::string kp = path + "." + k;
    MERIDIAN_ASSIGN_OR_RETURN(std::string key, word_of(Json(k), kp));
    MERIDIAN_ASSIGN_OR_RETURN(auto to, words_of(vals, kp));
    std::erase(to, key);
    if (to.empty()) return bad(kp, "an array of at least one synonym other than the key", vals);
    auto& slot = s->one_way[key];
    for (auto& t : to)
      if (std::find(slot.begin(), slot.end(), t) == slot.end()) slot.push_back(std::move(t));
  }
  return Status::ok();
}

size_t word_count(std::string_view s) { return static_cast<size_t>(std::count(s.begin(), s.end(), ' ')) + 1; }

// {"multi_way": [[...]], "one_way": {...}}, or a list whose items are
// arrays (multi-way groups) or objects (one-way entries).
Result<SynonymSettings> parse_synonyms(const Json& v) {
  SynonymSettings s;
  if (v.is_array()) {
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      const Json& item = v.as_array()[i];
      std::string p = "synonyms[" + std::to_string(i) + "]";
      if (item.is_array()) MERIDIAN_RETURN_IF_ERROR(add_group(item, p, &s));
      else if (item.is_object()) MERIDIAN_RETURN_IF_ERROR(add_one_way(item, p, &s));
      else return bad(p, "an array (multi-way group) or an object (one-way synonyms)", item);
    }
    s.build_lookup();
    return s;
  }
  if (!v.is_object()) return bad("synonyms", "an object {\"multi_way\": [...], \"one_way\": {...}} or an array", v);
  for (const auto& [k, item] : v.as_object()) {
    if (k == "multi_way") {
      if (!item.is_array()) return bad("synonyms.multi_way", "an array of word groups", item);
      for (size_t i = 0; i < item.as_array().size(); ++i)
        MERIDIAN_RETURN_IF_ERROR(add_group(item.as_array()[i], "synonyms.multi_way[" + std::to_string(i) + "]", &s));
    } else if (k == "one_way") {
      if (!item.is_object()) return bad("synonyms.one_way", "an object of word -> array of synonyms", item);
      MERIDIAN_RETURN_IF_ERROR(add_one_way(item, "synonyms.one_way", &s));
    } else {
      return Status::invalid("synonyms." + k + ": unknown key (expected multi_way or one_way)");
    }
  }
  s.build_lookup();
  return s;
}

Result<const FieldDef*> field_of(const std::string& name, const std::string& path, const Schema* schema) {
  if (!schema) return static_cast<const FieldDef*>(nullptr);
  const FieldDef* f = schema->find(name);
  if (!f) return Status::invalid(path + ": unknown field '" + name + "'");
  return f;
}

// {"title": 2, "body": 1} or ["title^2", "body"].
Result<std::vector<QFieldWeight>> parse_q_fields(const Json& v, const Schema* schema) {
  std::vector<QFieldWeight> out;
  auto add = [&](const std::string& name, double w, const std::string& p) -> Status {
    if (name.empty()) return Status::invalid(p + ": expected a field name");
    if (!std::isfinite(w) || w <= 0) return Status::invalid(p + ": expected a weight > 0");
    MERIDIAN_ASSIGN_OR_RETURN(const FieldDef* f, field_of(name, p, schema));
    if (f && f->type == FieldType::kGeoPoint) return Status::invalid(p + ": field '" + name + "' is a geo_point");
    for (const auto& q : out)
      if (q.field == name) return Status::invalid(p + ": field '" + name + "' given twice");
    out.push_back({name, w});
    return Status::ok();
  };
  if (v.is_object()) {
    for (const auto& [k, w] : v.as_object()) {
      if (!w.is_number()) return bad("q_fields." + k, "a number (the field's weight)", w);
      MERIDIAN_RETURN_IF_ERROR(add(k, w.as_double(), "q_fields." + k));
    }
    return out;
  }
  if (!v.is_array()) return bad("q_fields", "an object {\"field\": weight} or an array of \"field^weight\"", v);
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const Json& item = v.as_array()[i];
    std::string p = "q_fields[" + std::to_string(i) + "]";
    if (!item.is_string()) return bad(p, "a string \"field\" or \"field^weight\"", item);
    const std::string& s = item.as_string();
    size_t caret = s.rfind('^');
    double w = 1;
    if (caret != std::string::npos) {
      try {
        size_t used = 0;
        w = std::stod(s.substr(caret + 1), &used);
        if (used != s.size() - caret - 1) throw std::invalid_argument("");
      } catch (...) {
        return bad(p, "\"field^weight\" with a number weight", item);
      }
    }
    MERIDIAN_RETURN_IF_ERROR(add(s.substr(0, caret), w, p));
  }
  return out;
}

Result<int> small_int(const Json& v, const std::string& path) {
  if (!v.is_int() || v.as_int() < 0 || v.as_int() > 255) return bad(path, "an integer 0..255", v);
  return static_cast<int>(v.as_int());
}

Result<TypoToleranceSettings> parse_typo(const Json& v, const Schema* schema) {
  TypoToleranceSettings t;
  if (!v.is_object()) return bad("typo_tolerance", "an object", v);
  for (const auto& [k, item] : v.as_object()) {
    std::string p = "typo_tolerance." + k;
    if (k == "enabled") {
      if (!item.is_bool()) return bad(p, "true or false", item);
      t.enabled = item.as_bool();
    } else if (k == "min_word_length_one_typo") {
      MERIDIAN_ASSIGN_OR_RETURN(t.min_word_length_one_typo, small_int(item, p));
    } else if (k == "min_word_length_two_typos") {
      MERIDIAN_ASSIGN_OR_RETURN(t.min_word_length_two_typos, small_int(item, p));
    } else if (k == "disable_on_words") {
      MERIDIAN_ASSIGN_OR_RETURN(t.disable_on_words, words_of(item, p));
    } else if (k == "disable_on_fields") {
      if (!item.is_array()) return bad(p, "an array of field names", item);
      for (size_t i = 0; i < item.as_array().size(); ++i) {
        const Json& f = item.as_array()[i];
        std::string fp = p + "[" + std::to_string(i) + "]";
        if (!f.is_string()) return bad(fp, "a field name", f);
        MERIDIAN_RETURN_IF_ERROR(field_of(f.as_string(), fp, schema).status());
        t.disable_on_fields.push_back(f.as_string());
      }
    } else {
      return Status::invalid(p + ": unknown key (expected enabled, min_word_length_one_typo, "
                                 "min_word_length_two_typos, disable_on_words or disable_on_fields)");
    }
  }
  if (t.min_word_length_one_typo > t.min_word_length_two_typos)
    return Status::invalid("typo_tolerance.min_word_length_one_typo: expected at most min_word_length_two_typos (" +
                           std::to_string(t.min_word_length_two_typos) + "), got " +
                           std::to_string(t.min_word_length_one_typo));
  return t;
}

bool sortable(FieldType t) { return t != FieldType::kText && t != FieldType::kGeoPoint; }

Result<std::vector<std::string>> parse_rules(const Json& v, const Schema* schema) {
  static const std::set<std::string, std::less<>> kBuiltIn = {"words", "typo",      "proximity", "attribute",
                                                              "exactness", "bm25", "sort"};
  if (!v.is_array()) return bad("ranking_rules", "an array of rules", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const Json& r = v.as_array()[i];
    std::string p = "ranking_rules[" + std::to_string(i) + "]";
    if (!r.is_string()) return bad(p, "a rule name", r);
    const std::string& s = r.as_string();
    if (!kBuiltIn.count(s)) {
      size_t colon = s.rfind(':');
      std::string dir = colon == std::string::npos ? "" : s.substr(colon + 1);
      if (colon == std::string::npos || colon == 0 || (dir != "asc" && dir != "desc"))
        return Status::invalid(p + ": unknown rule '" + s +
                               "' (expected words, typo, proximity, attribute, exactness, bm25, sort or field:asc|desc)");
      std::string field = s.substr(0, colon);
      MERIDIAN_ASSIGN_OR_RETURN(const FieldDef* f, field_of(field, p, schema));
      if (f && !sortable(f->type))
        return Status::invalid(p + ": field '" + field + "' (" + std::string(field_type_name(f->type)) +
                               ") is not sortable (expected a number, date, bool or keyword field)");
      for (const auto& o : out)
        if (o.rfind(field + ":", 0) == 0) return Status::invalid(p + ": field '" + field + "' given twice");
    }
    if (std::find(out.begin(), out.end(), s) != out.end()) return Status::invalid(p + ": rule '" + s + "' given twice");
    out.push_back(s);
  }
  if (out == default_ranking_rules()) out.clear();
  return out;
}

Json strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.as_array().push_back(Json(s));
  return a;
}

Json to_json_common(const IndexSettings& s) {
  Json syn = Json::object();
  Json groups = Json::array();
  for (const auto& g : s.synonyms.multi_way) groups.as_array().push_back(strings(g));
  Json one = Json::object();
  for (const auto& [k, v] : s.synonyms.one_way) one.set(k, strings(v));
  syn.set("multi_way", std::move(groups));
  syn.set("one_way", std::move(one));
  Json qf = Json::object();
  for (const auto& f : s.q_fields) {
    bool whole = f.weight == std::floor(f.weight) && f.weight < 1e15;
    qf.set(f.field, whole ? Json(static_cast<int64_t>(f.weight)) : Json(f.weight));
  }
  Json typo = Json::object();
  typo.set("enabled", Json(s.typo_tolerance.enabled));
  typo.set("min_word_length_one_typo", Json(s.typo_tolerance.min_word_length_one_typo));
  typo.set("min_word_length_two_typos", Json(s.typo_tolerance.min_word_length_two_typos));
  typo.set("disable_on_words", strings(s.typo_tolerance.disable_on_words));
  typo.set("disable_on_fields", strings(s.typo_tolerance.disable_on_fields));
  Json j = Json::object();
  j.set("synonyms", std::move(syn));
  j.set("q_fields", std::move(qf));
  j.set("typo_tolerance", std::move(typo));
  j.set("stop_words", strings(s.stop_words));
  j.set("distinct", s.distinct.empty() ? Json() : Json(s.distinct));
  return j;
}

}  // namespace

void SynonymSettings::build_lookup() {
  lookup.clear();
  max_words = 0;
  auto add = [&](const std::string& from, const std::string& to) {
    auto& v = lookup[from];
    if (std::find(v.begin(), v.end(), to) == v.end()) v.push_back(to);
    max_words = std::max({max_words, word_count(from)});
  };
  for (const auto& g : multi_way)
    for (const auto& a : g)
      for (const auto& b : g)
        if (a != b) add(a, b);
  for (const auto& [k, vs] : one_way)
    for (const auto& v : vs) add(k, v);
}

const std::vector<std::string_view>& settings_keys() {
  static const std::vector<std::string_view> k = {"synonyms", "q_fields",         "typo_tolerance", "stop_words",
                                                  "distinct", "refresh_interval", "ranking_rules"};
  return k;
}

const std::vector<std::string>& default_ranking_rules() {
  static const std::vector<std::string> r = {"words", "typo", "proximity", "attribute", "exactness", "bm25"};
  return r;
}

std::string fold_words(std::string_view text) {
  std::string cf, af;
  analysis::case_fold(text, &cf);
  analysis::fold_accents(cf, &af);
  std::string out;
  bool space = false;
  for (char c : af) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

Result<uint32_t> parse_interval_ms(const Json& v, const std::string& path) {
  const std::string what = "a duration (\"500ms\", \"1s\", \"2m\") or a number of milliseconds, 1ms..1h";
  double ms = -1;
  if (v.is_number()) {
    ms = v.as_double();
  } else if (v.is_string()) {
    const std::string& s = v.as_string();
    size_t end = 0;
    while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '.')) ++end;
    std::string unit = s.substr(end);
    double mult = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : -1;
    if (end == 0 || mult < 0) return bad(path, what, v);
    try {
      size_t used = 0;
      ms = std::stod(s.substr(0, end), &used) * mult;
      if (used != end) return bad(path, what, v);
    } catch (...) {
      return bad(path, what, v);
    }
  } else {
    return bad(path, what, v);
  }
  if (!std::isfinite(ms) || ms < kMinRefreshIntervalMs || ms > kMaxRefreshIntervalMs || ms != std::floor(ms))
    return bad(path, what, v);
  return static_cast<uint32_t>(ms);
}

std::string format_interval_ms(uint32_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<IndexSettings> parse_index_settings(const Json& j, const Schema* schema) {
  if (!j.is_object()) return bad("settings", "an object", j);
  IndexSettings s;
  for (const auto& [k, v] : j.as_object()) {
    if (v.is_null()) continue;  // the default
    if (k == "synonyms") {
      MERIDIAN_ASSIGN_OR_RETURN(s.synonyms, parse_synonyms(v));
    } else if (k == "q_fields") {
      MERIDIAN_ASSIGN_OR_RETURN(s.q_fields, parse_q_fields(v, schema));
    } else if (k == "typo_tolerance") {
      MERIDIAN_ASSIGN_OR_RETURN(s.typo_tolerance, parse_typo(v, schema));
    } else if (k == "stop_words") {
      MERIDIAN_ASSIGN_OR_RETURN(s.stop_words, words_of(v, "stop_words"));
    } else if (k == "distinct") {
      if (!v.is_string() || v.as_string().empty()) return bad("distinct", "a field name or null", v);
      MERIDIAN_ASSIGN_OR_RETURN(const FieldDef* f, field_of(v.as_string(), "distinct", schema));
      if (f && !sortable(f->type))
        return Status::invalid("distinct: field '" + v.as_string() + "' (" + std::string(field_type_name(f->type)) +
                               ") has no single value per document (expected a keyword, number, date or bool field)");
      s.distinct = v.as_string();
    } else if (k == "refresh_interval") {
      MERIDIAN_ASSIGN_OR_RETURN(uint32_t ms, parse_interval_ms(v, "refresh_interval"));
      s.refresh_interval_ms = ms;
    } else if (k == "ranking_rules") {
      MERIDIAN_ASSIGN_OR_RETURN(s.ranking_rules, parse_rules(v, schema));
    } else {
      return Status::invalid(k + ": unknown settings key (expected synonyms, q_fields, typo_tolerance, stop_words, "
                                 "distinct, refresh_interval or ranking_rules)");
    }
  }
  return s;
}

Json IndexSettings::to_json(uint32_t default_refresh_ms) const {
  Json j = to_json_common(*this);
  j.set("refresh_interval", Json(format_interval_ms(refresh_interval_ms.value_or(default_refresh_ms))));
  j.set("ranking_rules", strings(ranking_rules.empty() ? default_ranking_rules() : ranking_rules));
  return j;
}

Json IndexSettings::to_stored_json() const {
  Json j = to_json_common(*this);
  if (refresh_interval_ms) j.set("refresh_interval", Json(static_cast<int64_t>(*refresh_interval_ms)));
  if (!ranking_rules.empty()) j.set("ranking_rules", strings(ranking_rules));
  return j;
}

Result<IndexSettings> patch_index_settings(const IndexSettings& current, const Json& patch, const Schema* schema) {
  if (!patch.is_object()) return bad("settings", "an object", patch);
  Json merged = current.to_stored_json();
  apply_merge_patch(&merged, patch);
  return parse_index_settings(merged, schema);
}

Result<IndexSettings> load_index_settings(const std::string& dir) {
  std::string path = fs::join(dir, kSettingsFile);
  if (!fs::exists(path)) return IndexSettings{};
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(bytes, kSettingsMagic, 1, kSettingsVersion, path));
  auto j = parse_json(fi.body);
  if (!j) return Status::corruption(path + ": " + j.status().message());
  auto s = parse_index_settings(*j, nullptr);  // fields were checked when the settings were set
  if (!s) return Status::corruption(path + ": " + s.status().message());
  return s;
}

Status store_index_settings(const std::string& dir, const IndexSettings& s) {
  return fs::write_file_atomic(fs::join(dir, kSettingsFile),
                               frame_file(kSettingsMagic, kSettingsVersion, s.to_stored_json().dump()));
}

// ---- Index's settings (index.h) ----

std::shared_ptr<const IndexSettings> Index::settings() const {
  std::lock_guard<std::mutex> l(settings_mu_);
  return settings_;
}

Status Index::set_settings(IndexSettings s) {
  std::lock_guard<std::mutex> l(settings_mu_);
  MERIDIAN_RETURN_IF_ERROR(store_index_settings(dir_, s));
  uint32_t ms = s.refresh_interval_ms.value_or(opt_.refresh_interval_ms);
  s.version = settings_->version + 1;
  settings_ = std::make_shared<const IndexSettings>(std::move(s));
  if (refresh_interval_ms_.exchange(ms) != ms) {
    // The background refresh waits with the old interval: wake it, so the
    // new one applies from now on.
    {
      std::lock_guard<std::mutex> bl(bg_mu_);
      refresh_wanted_ = true;
    }
    bg_cv_.notify_all();
  }
  return Status::ok();
}

Status Index::load_settings() {
  MERIDIAN_ASSIGN_OR_RETURN(IndexSettings s, load_index_settings(dir_));
  refresh_interval_ms_ = s.refresh_interval_ms.value_or(opt_.refresh_interval_ms);
  std::lock_guard<std::mutex> l(settings_mu_);
  settings_ = std::make_shared<const IndexSettings>(std::move(s));
  return Status::ok();
}

}  // namespace meridian::index
