// Merging what one fuzzy or prefix word reached in several snapshots
// (index::WordExpansionStats: the shards of a clustered index, gathered by
// the statistics phase of cluster/shard_search.h) into what one snapshot
// holding all their segments would have reached: per term the fewest edits,
// per surface word the best reach (the word itself, then a completion, then
// fewest edits), completions joined, the word as typed a word if it is one
// anywhere, surface words only if every snapshot had them.
//
// A free function on values; safe from any thread.
#pragma once

#include "meridian/index/snapshot.h"

namespace meridian::query {

void merge_word_expansion(index::WordExpansionStats* into, const index::WordExpansionStats& from);

}  // namespace meridian::query
