#include "meridian/cdc/pgoutput.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "meridian/cdc/geometry.h"
#include "meridian/cdc/mapping.h"

namespace meridian::cdc {
namespace {

// Big-endian reader over untrusted bytes.
class BeReader {
 public:
  explicit BeReader(std::string_view b) : b_(b) {}
  bool u8(uint8_t* v) {
    if (left() < 1) return fail();
    *v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  template <typename T>
  bool be(T* v) {
    if (left() < sizeof(T)) return fail();
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x = (x << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += sizeof(T);
    *v = static_cast<T>(x);
    return true;
  }
  bool cstr(std::string* s) {
    size_t z = b_.find('\0', pos_);
    if (z == std::string_view::npos) return fail();
    *s = std::string(b_.substr(pos_, z - pos_));
    pos_ = z + 1;
    return true;
  }
  bool bytes(size_t n, std::string* s) {
    if (left() < n) return fail();
    *s = std::string(b_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  size_t left() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool read_tuple(BeReader& r, PgTuple* t) {
  int16_t n = 0;
  if (!r.be(&n) || n < 0) return false;
  t->assign(static_cast<size_t>(n), PgValue{});
  for (auto& v : *t) {
    uint8_t k = 0;
    if (!r.u8(&k)) return false;
    v.kind = static_cast<char>(k);
    if (k == 'n' || k == 'u') continue;
    if (k != 't' && k != 'b') return false;
    int32_t len = 0;
    if (!r.be(&len) || len < 0 || !r.bytes(static_cast<size_t>(len), &v.text)) return false;
    v.kind = 't';
  }
  return true;
}

std::string pg_ts_to_rfc3339(std::string s) {
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  if (s.size() <= 10) return s;
  size_t tz = s.find_first_of("+-Z", 11);
  if (tz == std::string::npos) return s + "Z";
  if (s[tz] == 'Z') return s;
  std::string zone = s.substr(tz + 1);
  if (zone.size() == 2) zone += ":00";
  return s.substr(0, tz + 1) + zone;
}

uint32_t element_type(uint32_t array_oid) {
  using namespace pgtype;
  switch (array_oid) {
    case kBoolArray: return kBool;
    case kInt2Array: return kInt2;
    case kInt4Array: return kInt4;
    case kInt8Array: return kInt8;
    case kTextArray: return kText;
    case kVarcharArray: return kVarchar;
    case kBpcharArray: return kBpchar;
    case kFloat4Array: return kFloat4;
    case kFloat8Array: return kFloat8;
    case kNumericArray: return kNumeric;
    default: return 0;
  }
}

}  // namespace

Result<PgMessage> decode_pgoutput(std::string_view msg) {
  PgMessage m;
  BeReader r(msg);
  uint8_t tag = 0;
  auto bad = [&](const char* what) {
    return Status::invalid(std::string("pgoutput ") + what + " message: malformed at byte " + std::to_string(r.pos()));
  };
  if (!r.u8(&tag)) return Status::invalid("pgoutput: empty message");
  switch (tag) {
    case 'B': {
      m.kind = PgMessage::Kind::kBegin;
      int64_t ts;
      if (!r.be(&m.lsn) || !r.be(&ts) || !r.be(&m.xid)) return bad("Begin");
      if (__builtin_add_overflow(ts, kPgEpochOffsetUs, &m.timestamp_us)) return bad("Begin (timestamp)");
      return m;
    }
    case 'C': {
      m.kind = PgMessage::Kind::kCommit;
      uint8_t flags;
      int64_t ts;
      if (!r.u8(&flags) || !r.be(&m.lsn) || !r.be(&m.end_lsn) || !r.be(&ts)) return bad("Commit");
      if (__builtin_add_overflow(ts, kPgEpochOffsetUs, &m.timestamp_us)) return bad("Commit (timestamp)");
      return m;
    }
    case 'R': {
      m.kind = PgMessage::Kind::kRelation;
      auto& rel = m.relation;
      uint8_t ident;
      int16_t n;
      if (!r.be(&rel.id) || !r.cstr(&rel.schema) || !r.cstr(&rel.table) || !r.u8(&ident) || !r.be(&n) || n < 0)
        return bad("Relation");
      rel.replica_identity = static_cast<char>(ident);
      for (int i = 0; i < n; ++i) {
        PgColumn c;
        uint8_t flags;
        int32_t typmod;
        if (!r.u8(&flags) || !r.cstr(&c.name) || !r.be(&c.type_oid) || !r.be(&typmod)) return bad("Relation");
        c.key = flags & 1;
        rel.columns.push_back(std::move(c));
      }
      m.relation_id = rel.id;
      return m;
    }
    case 'I': {
      m.kind = PgMessage::Kind::kInsert;
      uint8_t n;
      if (!r.be(&m.relation_id) || !r.u8(&n) || n != 'N' || !read_tuple(r, &m.new_tuple)) return bad("Insert");
      return m;
    }
    case 'U': {
      m.kind = PgMessage::Kind::kUpdate;
      uint8_t k;
      if (!r.be(&m.relation_id) || !r.u8(&k)) return bad("Update");
      if (k == 'K' || k == 'O') {
        m.old_kind = static_cast<char>(k);
        m.old_tuple.emplace();
        if (!read_tuple(r, &*m.old_tuple) || !r.u8(&k)) return bad("Update");
      }
      if (k != 'N' || !read_tuple(r, &m.new_tuple)) return bad("Update");
      return m;
    }
    case 'D': {
      m.kind = PgMessage::Kind::kDelete;
      uint8_t k;
      if (!r.be(&m.relation_id) || !r.u8(&k) || (k != 'K' && k != 'O')) return bad("Delete");
      m.old_kind = static_cast<char>(k);
      m.old_tuple.emplace();
      if (!read_tuple(r, &*m.old_tuple)) return bad("Delete");
      return m;
    }
    case 'T': {
      m.kind = PgMessage::Kind::kTruncate;
      uint32_t n;
      uint8_t opts;
      if (!r.be(&n) || !r.u8(&opts) || n > r.left() / 4) return bad("Truncate");
      m.truncate_cascade = opts & 1;
      m.truncate_restart = opts & 2;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t id;
        if (!r.be(&id)) return bad("Truncate");
        m.truncated.push_back(id);
      }
      return m;
    }
    case 'O': case 'Y': case 'M':
      m.kind = PgMessage::Kind::kIgnored;
      return m;
    default:
      return Status::invalid("pgoutput: unknown message type " + std::to_string(tag));
  }
}

Result<ReplicationFrame> decode_replication_frame(std::string_view copy_data) {
  ReplicationFrame f;
  BeReader r(copy_data);
  uint8_t tag = 0;
  if (!r.u8(&tag)) return Status::invalid("replication: empty CopyData");
  int64_t t = 0;
  if (tag == 'w') {
    f.kind = ReplicationFrame::Kind::kXLogData;
    if (!r.be(&f.wal_start) || !r.be(&f.wal_end) || !r.be(&t)) return Status::invalid("replication: short XLogData");
    if (__builtin_add_overflow(t, kPgEpochOffsetUs, &f.send_time_us))
      return Status::invalid("replication: XLogData send time out of range");
    f.data = copy_data.substr(r.pos());
    return f;
  }
  if (tag == 'k') {
    uint8_t reply = 0;
    if (!r.be(&f.wal_end) || !r.be(&t) || !r.u8(&reply)) return Status::invalid("replication: short keepalive");
    if (__builtin_add_overflow(t, kPgEpochOffsetUs, &f.send_time_us))
      return Status::invalid("replication: keepalive send time out of range");
    f.reply_requested = reply != 0;
    return f;
  }
  return Status::invalid("replication: unknown CopyData type " + std::to_string(tag));
}

std::string encode_standby_status(uint64_t write_lsn, uint64_t flush_lsn, uint64_t apply_lsn, int64_t now_unix_us,
                                  bool reply) {
  std::string out;
  out.push_back('r');
  auto be64 = [&](uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  be64(write_lsn);
  be64(flush_lsn);
  be64(apply_lsn);
  be64(static_cast<uint64_t>(now_unix_us - kPgEpochOffsetUs));
  out.push_back(reply ? 1 : 0);
  return out;
}

Result<std::vector<std::optional<std::string>>> parse_pg_array(std::string_view s) {
  std::vector<std::optional<std::string>> out;
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return Status::invalid("array: expected {...}");
  s = s.substr(1, s.size() - 2);
  if (s.empty()) return out;
  size_t i = 0;
  while (true) {
    std::string cur;
    bool quoted = false;
    if (i < s.size() && s[i] == '{') return Status::invalid("array: more than one dimension");
    if (i < s.size() && s[i] == '"') {
      quoted = true;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        cur.push_back(s[i++]);
      }
      if (i >= s.size()) return Status::invalid("array: unterminated quote");
      ++i;
    } else {
      while (i < s.size() && s[i] != ',') cur.push_back(s[i++]);
    }
    if (!quoted && cur == "NULL") out.emplace_back(std::nullopt);
    else out.emplace_back(std::move(cur));
    if (i >= s.size()) break;
    if (s[i] != ',') return Status::invalid("array: expected ','");
    ++i;
  }
  return out;
}

Result<Json> pg_text_to_json(std::string_view text, uint32_t oid, const std::vector<uint32_t>& geo_oids) {
  using namespace pgtype;
  std::string s(text);
  if (std::find(geo_oids.begin(), geo_oids.end(), oid) != geo_oids.end()) {
    auto p = decode_wkb_hex_point(s);
    if (!p) return p.status();
    return Json(Json::Object{{"lat", Json(p->lat)}, {"lon", Json(p->lon)}});
  }
  if (uint32_t elem = element_type(oid)) {
    MERIDIAN_ASSIGN_OR_RETURN(auto items, parse_pg_array(s));
    Json arr = Json::array();
    for (const auto& it : items) {
      if (!it) continue;
      MERIDIAN_ASSIGN_OR_RETURN(Json v, pg_text_to_json(*it, elem, geo_oids));
      arr.push(std::move(v));
    }
    return arr;
  }
  switch (oid) {
    case kBool:
      return Json(s == "t");
    case kInt2: case kInt4: case kInt8: case kOid: {
      char* end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (*end) return Status::invalid("integer: '" + s + "'");
      return Json(static_cast<int64_t>(v));
    }
    case kFloat4: case kFloat8: case kNumeric: {
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (*end && s != "NaN") return Status::invalid("number: '" + s + "'");
      return std::isfinite(v) ? Json(v) : Json();
    }
    case kTimestamp: case kTimestampTz:
      if (s == "infinity" || s == "-infinity") return Json();
      return Json(pg_ts_to_rfc3339(s));
    case kDate:
      if (s == "infinity" || s == "-infinity") return Json();
      return Json(s);
    case kJson: case kJsonb: {
      auto j = parse_json(s);
      if (!j) return j.status();
      return *j;
    }
    default:
      return Json(s);
  }
}

}  // namespace meridian::cdc
