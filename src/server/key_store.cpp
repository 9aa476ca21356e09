#include "meridian/server/key_store.h"

#include <chrono>

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/server/sha256.h"

namespace meridian::server {
namespace {

constexpr uint32_t kKeysMagic = fourcc("MKEY");
constexpr uint32_t kKeysVersion = 1;
constexpr size_t kMaxKeys = 10000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<std::vector<std::string>> string_list(const Json* v, const std::string& path) {
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) return Status::invalid(path + ": expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = v->as_array()[i];
    if (!e.is_string() || e.as_string().empty() || e.as_string().size() > 256)
      return Status::invalid(path + "[" + std::to_string(i) + "]: expected a non-empty string");
    out.push_back(e.as_string());
  }
  return out;
}

Result<ApiKey> key_from_json(const Json& j, bool with_hash) {
  if (!j.is_object()) return Status::invalid("key: expected an object");
  ApiKey k;
  if (const Json* n = j.find("name")) {
    if (!n->is_string()) return Status::invalid("name: expected a string");
    k.name = n->as_string();
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto scopes, string_list(j.find("scopes"), "scopes"));
  if (scopes.empty()) return Status::invalid("scopes: at least one of admin, write, search is required");
  for (size_t i = 0; i < scopes.size(); ++i) {
    auto s = parse_scope(scopes[i]);
    if (!s) return Status::invalid("scopes[" + std::to_string(i) + "]: " + s.status().message());
    k.scopes.push_back(*s);
  }
  MERIDIAN_ASSIGN_OR_RETURN(k.indexes, string_list(j.find("indexes"), "indexes"));
  if (k.indexes.empty()) k.indexes.push_back("*");
  if (with_hash) {
    const Json* id = j.find("id");
    const Json* h = j.find("hash");
    const Json* c = j.find("created_ms");
    if (!id || !id->is_string() || !h || !h->is_string() || h->as_string().size() != 64)
      return Status::invalid("key: missing id or hash");
    k.id = id->as_string();
    k.hash = h->as_string();
    if (c && c->is_int()) k.created_ms = c->as_int();
  }
  return k;
}

}  // namespace

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::kSearch: return "search";
    case Scope::kWrite: return "write";
    case Scope::kAdmin: return "admin";
  }
  return "search";
}

Result<Scope> parse_scope(std::string_view s) {
  if (s == "search") return Scope::kSearch;
  if (s == "write") return Scope::kWrite;
  if (s == "admin") return Scope::kAdmin;
  return Status::invalid("unknown scope '" + std::string(s) + "' (admin, write, search)");
}

bool index_pattern_matches(std::string_view pattern, std::string_view index) {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return index.substr(0, pattern.size()) == pattern;
  }
  return pattern == index;
}

bool ApiKey::allows(Scope scope, std::string_view index) const {
  bool scoped = false;
  for (Scope s : scopes) scoped = scoped || s == Scope::kAdmin || s == scope;
  if (!scoped) return false;
  bool admin = false;
  for (Scope s : scopes) admin = admin || s == Scope::kAdmin;
  if (index.empty()) {
    // Index-less actions: listing indexes is a search action; key management is admin.
    if (scope != Scope::kAdmin) return true;
    for (const auto& p : indexes) if (p == "*") return admin;
    return false;
  }
  for (const auto& p : indexes) {
    if (index_pattern_matches(p, index)) return true;
  }
  return false;
}

std::string ApiKey::denial(Scope scope, std::string_view index) const {
  if (allows(scope, index)) return "";
  bool scoped = false;
  std::string have;
  for (Scope s : scopes) {
    scoped = scoped || s == Scope::kAdmin || s == scope;
    have += (have.empty() ? "" : ", ") + std::string(scope_name(s));
  }
  if (!scoped)
    return "this key lacks the '" + std::string(scope_name(scope)) + "' scope (it has: " + (have.empty() ? "none" : have) +
           ")";
  std::string patterns;
  for (const auto& p : indexes) patterns += (patterns.empty() ? "\"" : ", \"") + p + "\"";
  if (index.empty())
    return "this key's index patterns [" + patterns + "] do not cover every index (this action needs the 'admin' scope on \"*\")";
  return "this key's index patterns [" + patterns + "] do not cover index '" + std::string(index) + "'";
}

Json ApiKey::to_json() const {
  Json j = Json::object();
  j.set("id", Json(id));
  j.set("name", Json(name));
  Json s = Json::array();
  for (Scope sc : scopes) s.push(Json(scope_name(sc)));
  j.set("scopes", std::move(s));
  Json ix = Json::array();
  for (const auto& p : indexes) ix.push(Json(p));
  j.set("indexes", std::move(ix));
  j.set("created_ms", Json(created_ms));
  return j;
}

Result<std::unique_ptr<KeyStore>> KeyStore::open(std::string path, std::string master_key) {
  std::string mh = master_key.empty() ? std::string() : sha256_hex(master_key);
  std::unique_ptr<KeyStore> ks(new KeyStore(std::move(path), std::move(mh)));
  MERIDIAN_RETURN_IF_ERROR(ks->load());
  return ks;
}

Status KeyStore::load() {
  if (path_.empty() || !fs::exists(path_)) return Status::ok();
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path_));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(bytes, kKeysMagic, 1, kKeysVersion, path_));
  auto j = parse_json(fi.body);
  if (!j) return Status::corruption(path_ + ": " + j.status().message());
  const Json* arr = j->find("keys");
  if (!arr || !arr->is_array()) return Status::corruption(path_ + ": missing \"keys\" array");
  for (const Json& e : arr->as_array()) {
    auto k = key_from_json(e, true);
    if (!k) return Status::corruption(path_ + ": " + k.status().message());
    keys_.push_back(std::move(*k));
  }
  return Status::ok();
}

Status KeyStore::save_locked() const {
  if (path_.empty()) return Status::ok();
  Json arr = Json::array();
  for (const auto& k : keys_) {
    Json j = k.to_json();
    j.set("hash", Json(k.hash));
    arr.push(std::move(j));
  }
  Json root = Json::object();
  root.set("keys", std::move(arr));
  return fs::write_file_atomic(path_, frame_file(kKeysMagic, kKeysVersion, root.dump()));
}

std::optional<Principal> KeyStore::authenticate(std::string_view header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) return std::nullopt;
  std::string h = sha256_hex(header.substr(kBearer.size()));
  if (constant_time_equal(h, master_hash_)) return Principal{true, std::nullopt};
  std::lock_guard lock(mu_);
  std::optional<Principal> found;
  for (const auto& k : keys_) {  // no early exit: time does not reveal the position
    if (constant_time_equal(h, k.hash)) found = Principal{false, k};
  }
  return found;
}

Result<Json> KeyStore::create(const Json& body) {
  if (!body.is_object()) return Status::invalid("body: expected an object");
  for (const auto& [k, v] : body.as_object()) {
    if (k != "name" && k != "scopes" && k != "indexes") return Status::invalid(k + ": unknown key");
  }
  MERIDIAN_ASSIGN_OR_RETURN(ApiKey key, key_from_json(body, false));
  std::string secret = "mrd_" + random_hex(24);
  key.id = random_hex(6);
  key.hash = sha256_hex(secret);
  key.created_ms = now_ms();
  std::lock_guard lock(mu_);
  if (keys_.size() >= kMaxKeys) return Status::too_large("too many API keys");
  keys_.push_back(key);
  Status st = save_locked();
  if (!st.is_ok()) {
    keys_.pop_back();
    return st;
  }
  Json out = key.to_json();
  out.set("key", Json(secret));
  return out;
}

std::vector<ApiKey> KeyStore::list() const {
  std::lock_guard lock(mu_);
  return keys_;
}

Result<ApiKey> KeyStore::get(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const auto& k : keys_) if (k.id == id) return k;
  return Status::not_found("no API key '" + std::string(id) + "'");
}

Status KeyStore::remove(std::string_view id) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].id == id) {
      ApiKey old = keys_[i];
      keys_.erase(keys_.begin() + static_cast<ptrdiff_t>(i));
      Status st = save_locked();
      if (!st.is_ok()) keys_.insert(keys_.begin() + static_cast<ptrdiff_t>(i), old);
      return st;
    }
  }
  return Status::not_found("no API key '" + std::string(id) + "'");
}

}  // namespace meridian::server
