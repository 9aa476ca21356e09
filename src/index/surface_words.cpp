// Surface words file: keys, building, the walk over one field's words.
#include "meridian/index/surface_words.h"

#include <algorithm>
#include <unordered_map>

#include "meridian/termdict/automaton_walk.h"
#include "meridian/termdict/term_dict_writer.h"

namespace meridian::index {

namespace {

// The words of one field as a sorted term source for the automaton walk:
// term() is the word (the key between the field's prefix and the next \0).
class WordSource {
 public:
  WordSource(termdict::TermDictReader::Iterator it, std::string prefix)
      : it_(std::move(it)), prefix_(std::move(prefix)) {}
  bool valid() const { return it_.valid() && it_.term().starts_with(prefix_); }
  std::string_view term() const {
    std::string_view rest = it_.term().substr(prefix_.size());
    return rest.substr(0, rest.find('\0'));
  }
  // The stem of the current word.
  std::string_view stem() const {
    std::string_view rest = it_.term().substr(prefix_.size());
    const size_t z = rest.find('\0');
    if (z == std::string_view::npos || z + 1 == rest.size()) return rest.substr(0, z);
    return rest.substr(z + 1);
  }
  void next() { it_.next(); }
  // Keys "<prefix><word>\0..." >= "<prefix><s>" are exactly those whose word
  // is >= s (a word holds no \0), so the projection keeps the order. A
  // target holding a \0 ("w\0...", an automaton that accepts that byte)
  // stands for the first word > "w": "w\x01".
  void seek(std::string_view s) {
    key_.assign(prefix_);
    const size_t z = s.find('\0');
    if (z == std::string_view::npos) {
      key_.append(s);
    } else {
      key_.append(s.substr(0, z));
      key_.push_back('\x01');
    }
    it_.seek(key_);
  }
  Status status() const { return it_.status(); }

 private:
  termdict::TermDictReader::Iterator it_;
  std::string prefix_, key_;
};

}  // namespace

std::string word_docs_key(std::string_view field, std::string_view word) {
  std::string k;
  k.reserve(kWordDocsMarker.size() + field.size() + 1 + word.size());
  k.append(kWordDocsMarker);
  k.append(field);
  k.push_back('\0');
  k.append(word);
  return k;
}

std::string surface_key(std::string_view field, std::string_view word, std::string_view stem) {
  std::string k;
  k.reserve(field.size() + word.size() + stem.size() + 2);
  k.append(field);
  k.push_back('\0');
  k.append(word);
  k.push_back('\0');
  if (stem != word) k.append(stem);
  return k;
}

bool parse_surface_key(std::string_view key, SurfaceEntry* out) {
  const size_t a = key.find('\0');
  if (a == std::string_view::npos) return false;
  const size_t b = key.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  out->field = key.substr(0, a);
  out->word = key.substr(a + 1, b - a - 1);
  out->stem = b + 1 == key.size() ? out->word : key.substr(b + 1);
  return true;
}

Result<std::string> build_surface_words(std::vector<std::string>* keys, std::vector<ItemizedWord>* itemized) {
  std::sort(keys->begin(), keys->end());
  keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
  // Words per (field, stem), each key's "<field>\0<stem>" computed once.
  std::vector<std::string> stem_of(keys->size());
  std::vector<SurfaceEntry> entry(keys->size());
  std::unordered_map<std::string_view, uint32_t> per_stem;
  for (size_t i = 0; i < keys->size(); ++i) {
    if (!parse_surface_key((*keys)[i], &entry[i])) continue;
    stem_of[i].assign(entry[i].field).push_back('\0');
    stem_of[i].append(entry[i].stem);
  }
  for (size_t i = 0; i < keys->size(); ++i)
    if (!stem_of[i].empty()) ++per_stem[stem_of[i]];
  termdict::TermDictWriter w;
  for (size_t i = 0; i < keys->size(); ++i) {
    const bool item = !stem_of[i].empty() && per_stem[stem_of[i]] >= 2;
    MERIDIAN_RETURN_IF_ERROR(w.add((*keys)[i], item ? kWordItemized : 0));
    if (item && itemized) {
      const SurfaceEntry& e = entry[i];
      itemized->push_back(
          {word_docs_key(e.field, e.word), std::string(e.field), std::string(e.word), std::string(e.stem)});
    }
  }
  return w.finish();
}

Status walk_surface_words(const termdict::TermDictReader& words, std::string_view field, const termdict::Automaton& a,
                          size_t limit,
                          const std::function<bool(std::string_view word, std::string_view stem, int value)>& fn) {
  std::string prefix(field);
  prefix.push_back('\0');
  return termdict::intersect(
      a, WordSource(words.lower_bound(prefix), prefix),
      [&](std::string_view word, termdict::Automaton::State s, const WordSource& it) {
        return fn(word, it.stem(), a.match_value(s));
      },
      limit, termdict::walk_mode_for(words.size()));
}

Status walk_surface_prefix(const termdict::TermDictReader& words, std::string_view field, std::string_view prefix,
                           size_t limit, const std::function<bool(std::string_view word, std::string_view stem)>& fn) {
  // A word holds no \0, so no word starts with a prefix that does.
  if (limit == 0 || prefix.find('\0') != std::string_view::npos) return Status::ok();
  std::string key(field);
  key.push_back('\0');
  key.append(prefix);
  // The keys "<field>\0<word>\0<stem>" of the words starting with prefix
  // are exactly those starting with "<field>\0<prefix>", and adjacent.
  auto it = words.lower_bound(key);
  for (size_t found = 0; it.valid() && it.term().starts_with(key); it.next()) {
    SurfaceEntry e;
    if (!parse_surface_key(it.term(), &e)) continue;  // not a surface word's key
    if (!fn(e.word, e.stem) || ++found >= limit) break;
  }
  return it.status();
}

Result<bool> find_surface_word(const termdict::TermDictReader& words, std::string_view field, std::string_view word,
                               std::string* stem, bool* itemized) {
  std::string key(field);
  key.push_back('\0');
  key.append(word);
  key.push_back('\0');
  auto it = words.lower_bound(key);
  if (!it.valid()) {
    MERIDIAN_RETURN_IF_ERROR(it.status());
    return false;
  }
  if (!it.term().starts_with(key)) return false;
  SurfaceEntry e;
  if (!parse_surface_key(it.term(), &e)) return false;
  if (stem) stem->assign(e.stem);
  if (itemized) *itemized = it.value() == kWordItemized;
  return true;
}

}  // namespace meridian::index
