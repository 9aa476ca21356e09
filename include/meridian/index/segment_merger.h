// SegmentMerger: writes one segment holding the live documents of several
// segments, in input order, without re-analysing them: term dictionaries are
// merged term by term, postings (docs, tfs, positions) copied with their
// document ids remapped, columns and norms copied value by value, stored
// sources copied. The result equals what a SegmentBuilder would write from
// the same documents (tests/index/segment_merger_test.cpp checks exactly that),
// at a fraction of the cost: no JSON parsing, no ICU, no stemming.
//
// Not thread-safe per call; inputs are immutable segments, so any number of
// merges may read them while searches do.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/index/snapshot.h"

namespace meridian::index {

struct MergeResult {
  uint32_t docs = 0;                                // documents written (0: no segment was written)
  std::vector<std::pair<uint64_t, uint32_t>> origin;  // new doc -> (input segment id, old doc)
};

// Writes seg-<segment_id>.* into `dir` (meta last, as SegmentBuilder::write)
// from the live documents of `inputs`. Writes nothing when none is live.
// Errors: damaged input files (Corruption naming the file) and I/O errors;
// on error the files written so far are removed.
Result<MergeResult> merge_segments_to(const std::vector<SegmentView>& inputs, const std::string& dir,
                                      uint64_t segment_id, bool sync);

}  // namespace meridian::index
