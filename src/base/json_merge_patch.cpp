#include "meridian/base/json_merge_patch.h"

namespace meridian {

void apply_merge_patch(Json* target, const Json& patch) {
  if (!patch.is_object()) {
    *target = patch;
    return;
  }
  if (!target->is_object()) *target = Json::object();
  for (const auto& [key, value] : patch.as_object()) {
    if (value.is_null()) {
      target->erase(key);
    } else if (Json* have = target->find(key)) {
      apply_merge_patch(have, value);
    } else {
      Json fresh;  // null: a patch object merged into nothing drops its nulls
      apply_merge_patch(&fresh, value);
      target->set(key, std::move(fresh));
    }
  }
}

}  // namespace meridian
