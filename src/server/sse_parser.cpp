#include "sse_parser.h"

namespace meridian::server {

bool SseParser::feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return partial_.size() <= kMaxLine;
    }
    std::string_view l = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    bool ok;
    if (partial_.empty()) {
      ok = line(l, on_event);
    } else {
      partial_.append(l);
      std::string whole = std::move(partial_);
      partial_.clear();
      ok = line(whole, on_event);
    }
    if (!ok) return false;
  }
  return true;
}

bool SseParser::line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (l.empty()) {  // the end of an event
    if (!has_fields_) return true;
    SseEvent ev = std::move(cur_);
    cur_ = SseEvent{};
    has_data_ = has_fields_ = false;
    if (ev.event.empty()) ev.event = "message";
    return on_event(ev);
  }
  if (l.front() == ':') return true;  // a comment (heartbeat)
  size_t colon = l.find(':');
  std::string_view field = l.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) cur_.data.push_back('\n');
    cur_.data.append(value);
    has_data_ = true;
  } else if (field == "id") {
    cur_.id.assign(value);
  } else if (field == "event") {
    cur_.event.assign(value);
  } else {
    return true;  // "retry" and unknown fields: nothing to keep
  }
  has_fields_ = true;
  return true;
}

}  // namespace meridian::server
