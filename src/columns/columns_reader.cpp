#include "meridian/columns/columns_reader.h"

#include <array>
#include <bit>
#include <map>
#include <mutex>
#include <variant>

#include "column_loader.h"
#include "columns_format.h"
#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"

namespace meridian::columns {

std::string_view kind_name(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kInt: return "int";
    case ColumnKind::kDouble: return "double";
    case ColumnKind::kKeyword: return "keyword";
    case ColumnKind::kGeo: return "geo";
    case ColumnKind::kNorms: return "norms";
  }
  return "unknown";
}

namespace {

constexpr size_t kNumKinds = 6;  // indexed by the ColumnKind value

struct Slot {
  std::once_flag once;
  std::variant<std::monostate, IntColumn, DoubleColumn, KeywordColumn, GeoColumn, NormColumn> view;
  Status status;  // written only inside `once`
};

}  // namespace

struct ColumnsReader::State {
  std::string name;
  std::string_view file;
  uint32_t num_docs = 0;
  std::vector<ColumnInfo> infos;
  std::unique_ptr<Slot[]> slots;
  std::array<std::map<std::string, size_t, std::less<>>, kNumKinds> by_kind;

  mutable std::mutex mu;
  Status first_error;  // GUARDED_BY(mu)

  Status corrupt(uint64_t offset, const std::string& what) const {
    return Status::corruption(name + " at offset " + std::to_string(offset) + ": " + what);
  }
  void load_slot(size_t i);
};

namespace {

template <typename View>
Status load_view(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                 decltype(Slot::view)* out) {
  View v;
  MERIDIAN_RETURN_IF_ERROR(ColumnLoader::load(bytes, num_docs, stats, &v));
  *out = v;
  return Status::ok();
}

Status parse_entry(ByteReader* r, ColumnInfo* c) {
  c->field = std::string(r->str());
  uint8_t kind = r->u8();
  c->offset = r->u64();
  c->length = r->u64();
  c->crc = crc32c::unmask(r->u32());
  c->stats.docs_with_value = r->u32();
  c->stats.num_values = r->u64();
  uint64_t a = r->u64(), b = r->u64();
  c->stats.sum = r->f64();
  c->stats.total = r->u64();
  if (r->failed()) return Status::corruption("column table is truncated");
  if (kind < 1 || kind >= kNumKinds)
    return Status::corruption("unknown column kind " + std::to_string(kind));
  c->kind = static_cast<ColumnKind>(kind);
  if (c->kind == ColumnKind::kInt) {
    c->stats.min_int = static_cast<int64_t>(a);
    c->stats.max_int = static_cast<int64_t>(b);
  } else {
    c->stats.min_double = std::bit_cast<double>(a);
    c->stats.max_double = std::bit_cast<double>(b);
  }
  return Status::ok();
}

}  // namespace

void ColumnsReader::State::load_slot(size_t i) {
  const ColumnInfo& c = infos[i];
  Slot& slot = slots[i];
  std::string_view bytes = file.substr(c.offset, c.length);
  Status st;
  if (crc32c::value(bytes) != c.crc) {
    st = Status::corruption("checksum mismatch");
  } else {
    switch (c.kind) {
      case ColumnKind::kInt: st = load_view<IntColumn>(bytes, num_docs, c.stats, &slot.view); break;
      case ColumnKind::kDouble: st = load_view<DoubleColumn>(bytes, num_docs, c.stats, &slot.view); break;
      case ColumnKind::kKeyword: st = load_view<KeywordColumn>(bytes, num_docs, c.stats, &slot.view); break;
      case ColumnKind::kGeo: st = load_view<GeoColumn>(bytes, num_docs, c.stats, &slot.view); break;
      case ColumnKind::kNorms: st = load_view<NormColumn>(bytes, num_docs, c.stats, &slot.view); break;
    }
  }
  if (st.is_ok()) return;
  slot.view = std::monostate{};
  slot.status = Status::corruption(name + ": column '" + c.field + "' (" +
                                   std::string(kind_name(c.kind)) + ") at offset " +
                                   std::to_string(c.offset) + ": " + st.message());
  std::lock_guard<std::mutex> lock(mu);
  if (first_error.is_ok()) first_error = slot.status;
}

ColumnsReader::ColumnsReader(std::unique_ptr<State> state) : s_(std::move(state)) {}
ColumnsReader::ColumnsReader(ColumnsReader&&) noexcept = default;
ColumnsReader& ColumnsReader::operator=(ColumnsReader&&) noexcept = default;
ColumnsReader::~ColumnsReader() = default;

Result<ColumnsReader> ColumnsReader::open(std::string_view file, std::string name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo frame,
                            unframe_file(file, kColumnsMagic, kColumnsVersion, kColumnsVersion,
                                         name, /*verify_crc=*/false));
  auto s = std::make_unique<State>();
  s->name = std::move(name);
  s->file = file;
  ByteReader r(frame.body);
  s->num_docs = r.u32();
  uint32_t num_columns = r.u32();
  // Each entry takes at least 62 bytes: bound the count before reserving.
  if (r.failed() || num_columns > r.remaining() / 62)
    return s->corrupt(kFrameHeaderSize, "column table header is damaged");
  s->infos.resize(num_columns);
  for (ColumnInfo& c : s->infos) {
    Status st = parse_entry(&r, &c);
    if (!st.is_ok()) return s->corrupt(kFrameHeaderSize + r.offset(), st.message());
  }
  size_t table_end = r.offset();
  uint32_t crc = crc32c::unmask(r.u32());
  if (r.failed() || crc32c::value(frame.body.substr(0, table_end)) != crc)
    return s->corrupt(kFrameHeaderSize, "column table checksum mismatch");
  uint64_t data_start = kFrameHeaderSize + r.offset();
  uint64_t next = 0, data_len = r.remaining();
  for (size_t i = 0; i < s->infos.size(); ++i) {
    ColumnInfo& c = s->infos[i];
    if (c.offset != next || c.length > data_len - next)
      return s->corrupt(data_start + next, "column '" + c.field + "' has a bad offset or length");
    next += c.length;
    c.offset += data_start;
    auto& m = s->by_kind[static_cast<size_t>(c.kind)];
    if (!m.emplace(c.field, i).second)
      return s->corrupt(data_start, "duplicate column '" + c.field + "'");
  }
  if (next != data_len) return s->corrupt(data_start + next, "bytes after the last column");
  s->slots = std::make_unique<Slot[]>(num_columns);
  return ColumnsReader(std::move(s));
}

const void* ColumnsReader::load(ColumnKind kind, std::string_view field) const {
  const auto& m = s_->by_kind[static_cast<size_t>(kind)];
  auto it = m.find(field);
  if (it == m.end()) return nullptr;
  size_t i = it->second;
  Slot& slot = s_->slots[i];
  std::call_once(slot.once, [this, i] { s_->load_slot(i); });
  return std::visit(
      [](const auto& v) -> const void* {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) return nullptr;
        else return &v;
      },
      slot.view);
}

const IntColumn* ColumnsReader::int_column(std::string_view field) const {
  return static_cast<const IntColumn*>(load(ColumnKind::kInt, field));
}
const DoubleColumn* ColumnsReader::double_column(std::string_view field) const {
  return static_cast<const DoubleColumn*>(load(ColumnKind::kDouble, field));
}
const KeywordColumn* ColumnsReader::keyword_column(std::string_view field) const {
  return static_cast<const KeywordColumn*>(load(ColumnKind::kKeyword, field));
}
const GeoColumn* ColumnsReader::geo_column(std::string_view field) const {
  return static_cast<const GeoColumn*>(load(ColumnKind::kGeo, field));
}
const NormColumn* ColumnsReader::norms(std::string_view field) const {
  return static_cast<const NormColumn*>(load(ColumnKind::kNorms, field));
}

uint32_t ColumnsReader::num_docs() const { return s_->num_docs; }
const std::vector<ColumnInfo>& ColumnsReader::columns() const { return s_->infos; }

const ColumnInfo* ColumnsReader::info(ColumnKind kind, std::string_view field) const {
  const auto& m = s_->by_kind[static_cast<size_t>(kind)];
  auto it = m.find(field);
  return it == m.end() ? nullptr : &s_->infos[it->second];
}

Status ColumnsReader::status() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->first_error;
}

Status ColumnsReader::column_status(ColumnKind kind, std::string_view field) const {
  if (!info(kind, field))
    return Status::not_found(s_->name + ": no " + std::string(kind_name(kind)) + " column '" +
                             std::string(field) + "'");
  if (load(kind, field)) return Status::ok();
  return s_->slots[s_->by_kind[static_cast<size_t>(kind)].find(field)->second].status;
}

Status ColumnsReader::verify() const {
  auto frame = unframe_file(s_->file, kColumnsMagic, kColumnsVersion, kColumnsVersion, s_->name,
                            /*verify_crc=*/true);
  if (!frame.is_ok()) return frame.status();
  for (const ColumnInfo& c : s_->infos) MERIDIAN_RETURN_IF_ERROR(column_status(c.kind, c.field));
  return Status::ok();
}

}  // namespace meridian::columns
