#include "meridian/query/field_check.h"

#include <algorithm>
#include <cctype>

namespace meridian::query {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Levenshtein distance, case-insensitive, with transpositions counted as one edit.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::vector<std::string> field_names(const index::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, def] : schema.fields()) names.push_back(name);
  names.push_back(schema.id_field());
  return names;
}

bool known(const index::Schema& schema, std::string_view name) {
  return name == "*" || name == schema.id_field() || schema.find(name) != nullptr;
}

Status unknown(const index::Schema& schema, const std::string& path, std::string_view name) {
  return Status::invalid(path + ": " + unknown_field_message(schema, name));
}

Status check_field(const index::Schema& schema, const std::string& path, std::string_view name) {
  return known(schema, name) ? Status::ok() : unknown(schema, path, name);
}

Status check_field_list(const index::Schema& schema, const std::string& path, const std::vector<FieldBoost>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    MERIDIAN_RETURN_IF_ERROR(check_field(schema, path + "[" + std::to_string(i) + "]", fields[i].field));
  }
  return Status::ok();
}

// Every field a query names, recursively.
Status check_query(const index::Schema& schema, const std::string& path, const Query& q) {
  return std::visit(
      [&](const auto& n) -> Status {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, Bool>) {
          for (const auto* list : {&n.must, &n.should, &n.must_not, &n.filter})
            for (const auto& c : *list) MERIDIAN_RETURN_IF_ERROR(check_query(schema, path, c));
          return Status::ok();
        } else if constexpr (std::is_same_v<T, ConstantScore>) {
          return check_query(schema, path, *n.filter);
        } else if constexpr (std::is_same_v<T, MultiMatch>) {
          return check_field_list(schema, path, n.fields);
        } else if constexpr (std::is_same_v<T, Exists>) {
          return Status::ok();
        } else if constexpr (requires { n.field; }) {
          return check_field(schema, path, n.field);
        } else {
          return Status::ok();
        }
      },
      q.node);
}

// A `fields` entry: a field, the id, `*`, or an object holding fields.
bool known_source_path(const index::Schema& schema, const std::string& name) {
  if (known(schema, name)) return true;
  std::string prefix = name + ".";
  auto it = schema.fields().lower_bound(prefix);
  return it != schema.fields().end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates,
                         const std::vector<std::pair<std::string, std::string>>& aliases) {
  for (const auto& [from, to] : aliases)
    if (from == name && std::find(candidates.begin(), candidates.end(), to) != candidates.end())
      return " (did you mean '" + to + "'?)";
  const std::string* best = nullptr;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  return best ? " (did you mean '" + *best + "'?)" : std::string();
}

std::string unknown_field_message(const index::Schema& schema, std::string_view name) {
  return "unknown field '" + std::string(name) + "'" + did_you_mean(name, field_names(schema));
}

Status check_request_fields(const index::Schema& schema, const SearchRequest& req) {
  MERIDIAN_RETURN_IF_ERROR(check_field_list(schema, "q_fields", req.q_fields));
  if (!req.geo_field.empty()) MERIDIAN_RETURN_IF_ERROR(check_field(schema, "geo_field", req.geo_field));
  MERIDIAN_RETURN_IF_ERROR(check_query(schema, "query", req.query));
  for (size_t i = 0; i < req.filters.size(); ++i)
    MERIDIAN_RETURN_IF_ERROR(check_query(schema, "filter[" + std::to_string(i) + "]", req.filters[i]));
  for (size_t i = 0; i < req.sort.size(); ++i) {
    if (req.sort[i].kind == SortSpec::Kind::kScore) continue;
    MERIDIAN_RETURN_IF_ERROR(check_field(schema, "sort[" + std::to_string(i) + "]", req.sort[i].field));
  }
  for (const auto& [name, f] : req.facets) MERIDIAN_RETURN_IF_ERROR(check_field(schema, "facets." + name, f.field));
  if (req.highlight) {
    for (const auto& h : req.highlight->fields)
      MERIDIAN_RETURN_IF_ERROR(check_field(schema, "highlight.fields." + h.name, h.name));
  }
  for (size_t i = 0; i < req.fields.size(); ++i)
    if (!known_source_path(schema, req.fields[i])) return unknown(schema, "fields[" + std::to_string(i) + "]", req.fields[i]);
  if (req.geo_decay) MERIDIAN_RETURN_IF_ERROR(check_field(schema, "geo_decay.field", req.geo_decay->field));
  return Status::ok();
}

}  // namespace meridian::query
