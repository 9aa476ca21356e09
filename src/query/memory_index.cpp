#include "meridian/query/memory_index.h"

#include <new>

#include "meridian/index/document.h"
#include "meridian/index/segment.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/surface_words.h"

namespace meridian::query {

namespace {

// The segment image: every part in one allocation, each starting on a
// 64-byte boundary (frozen bitmap views need 32), in kSegmentExts order.
class Arena {
 public:
  static constexpr size_t kAlign = 64;
  explicit Arena(size_t bytes) : data_(static_cast<char*>(::operator new(bytes, std::align_val_t(kAlign)))) {}
  ~Arena() { ::operator delete(data_, std::align_val_t(kAlign)); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  char* data() const { return data_; }

 private:
  char* data_;
};

size_t aligned(size_t n) { return (n + Arena::kAlign - 1) / Arena::kAlign * Arena::kAlign; }

int part_index(std::string_view ext) {
  for (int i = 0; i < 5; ++i)
    if (index::kSegmentExts[i] == ext) return i;
  return -1;
}

}  // namespace

Result<MemoryIndex> MemoryIndex::from_source(std::shared_ptr<const index::Schema> schema, std::string_view source_json) {
  auto doc = parse_json(source_json);
  if (!doc) return Status::invalid("document: " + doc.status().message());
  return build(std::move(schema), *doc);
}

Result<MemoryIndex> MemoryIndex::build(std::shared_ptr<const index::Schema> schema, const Json& doc) {
  MemoryIndex m;
  std::vector<index::FieldDef> new_fields;
  MERIDIAN_ASSIGN_OR_RETURN(index::ParsedDoc pd, index::parse_document(doc, *schema, &new_fields));
  if (!new_fields.empty()) {  // as Index::put: the document's new fields join (a copy of) the schema
    auto extended = std::make_shared<index::Schema>(*schema);
    for (auto& f : new_fields) {
      if (extended->find(f.name)) continue;  // typed twice by one document: the first value's type won
      MERIDIAN_RETURN_IF_ERROR(extended->add(std::move(f)));
    }
    schema = std::move(extended);
    m.extended_ = true;
  }
  m.id_ = pd.id;
  // The stored source stays empty: nothing that matches reads it, and
  // compressing it would cost as much as the rest of the segment.
  pd.source.clear();
  index::SegmentBuilder builder;
  builder.add(pd, *schema);
  // parts[5]: the surface words, so that typos are matched on the words
  // as written, the way a search of the index matches them.
  std::string parts[6];
  MERIDIAN_RETURN_IF_ERROR(builder.serialize(
      [&](std::string_view ext, const std::string& bytes) {
        const int i = ext == index::kWordsExt ? 5 : part_index(ext);
        if (i < 0) return Status::internal("segment part '" + std::string(ext) + "' unknown");
        parts[i] = bytes;
        return Status::ok();
      },
      /*parallel=*/false));
  size_t total = 0;
  for (const auto& p : parts) total += aligned(p.size());
  auto arena = std::make_shared<Arena>(std::max<size_t>(total, 1));
  std::string_view views[6];
  size_t off = 0;
  for (int i = 0; i < 6; ++i) {
    std::copy(parts[i].begin(), parts[i].end(), arena->data() + off);
    views[i] = std::string_view(arena->data() + off, parts[i].size());
    off += aligned(parts[i].size());
  }
  const std::string_view core[5] = {views[0], views[1], views[2], views[3], views[4]};
  MERIDIAN_ASSIGN_OR_RETURN(auto seg, index::Segment::open_memory("memory", 0, core, std::move(arena), views[5]));
  std::vector<index::SegmentView> segments;
  segments.push_back(index::SegmentView{std::move(seg), nullptr});
  m.snap_ = std::make_shared<const index::Snapshot>(0, 0, std::move(schema), std::move(segments));
  return m;
}

}  // namespace meridian::query
