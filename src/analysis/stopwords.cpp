#include "meridian/analysis/stopwords.h"

#include <algorithm>
#include <map>
#include <memory>

#include "meridian/analysis/folding.h"
#include "stopword_lists.h"

namespace meridian::analysis {
namespace {

using Registry = std::map<std::string_view, std::unique_ptr<StopwordSet>, std::less<>>;

const Registry& registry() {
  static const Registry kRegistry = [] {
    Registry r;
    for (size_t i = 0; i < detail::kStopwordListCount; ++i) {
      const detail::StopwordList& l = detail::kStopwordLists[i];
      r.emplace(l.language, std::make_unique<StopwordSet>(l.words));
    }
    return r;
  }();
  return kRegistry;
}

}  // namespace

StopwordSet::StopwordSet(std::string_view words) {
  while (!words.empty()) {
    size_t nl = words.find('\n');
    std::string_view w = words.substr(0, nl);
    if (!w.empty()) {
      std::string folded;
      case_fold(w, &folded);
      words_.insert(std::move(folded));
    }
    if (nl == std::string_view::npos) break;
    words.remove_prefix(nl + 1);
  }
}

const StopwordSet* stopwords_for(std::string_view language) {
  const Registry& r = registry();
  auto it = r.find(language);
  return it == r.end() ? nullptr : it->second.get();
}

std::vector<std::string> stopword_languages() {
  std::vector<std::string> out;
  for (const auto& [lang, set] : registry()) out.emplace_back(lang);
  return out;
}

}  // namespace meridian::analysis
