// The hash trie's copy on write, checked against a model: versions are copied, the newest is
// edited, and old ones are dropped in random order; each version keeps exactly the nodes (and
// node contents) it had. A copy of a published branch borrows its children from the branch it
// was copied from, so this is where a node freed too early, shared by mistake or never freed
// would show (the ASan build runs it too).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dns/rrset.h"
#include "dns/zone.h"

namespace dns {
namespace {

struct Key {
  std::string key;
  uint64_t hash;
};

// Names with their real hashes, and a few whose made-up hashes share every digit but the last
// ones used, or all of them: deep branches and the collision bucket.
Key key_of(int i) {
  std::string key = fmt::format("n{}", i);
  if (i % 17 == 0) return {key, 0x0123456789abcdefULL ^ (static_cast<uint64_t>(i % 3) << 62)};
  if (i % 19 == 0) return {key, 0xfedcba9876543210ULL};
  return {key, name_key_hash(key)};
}

using Model = std::map<int, uint32_t>;  // name -> the value its node was last given

void check(const NodeMap& map, const Model& model, int universe) {
  RC_ASSERT(map.size() == model.size());
  for (int i = 0; i < universe; ++i) {
    const Key k = key_of(i);
    const ZoneNode* node = map.find(k.key, k.hash);
    const auto it = model.find(i);
    RC_ASSERT((node != nullptr) == (it != model.end()));
    if (node) {
      RC_ASSERT(node->key() == k.key);
      RC_ASSERT(node->names_below == it->second);
    }
  }
  size_t visited = 0;
  map.for_each([&](const ZoneNode&) { ++visited; });
  RC_ASSERT(visited == model.size());
  size_t walked = 0;
  for (NodeMap::Cursor c = map.first(); c.node(); c.next()) ++walked;
  RC_ASSERT(walked == model.size());
}

RC_GTEST_PROP(NodeMapProperty, EveryVersionKeepsItsNodesWhateverOrderVersionsAreDroppedIn, ()) {
  const int universe = *rc::gen::inRange(1, 4000);
  NodeMap current;
  Model model;
  std::vector<std::pair<NodeMap, Model>> kept;  // published versions still held
  const int batches = *rc::gen::inRange(1, 30);
  uint32_t value = 0;
  for (uint64_t edit = 1; edit <= static_cast<uint64_t>(batches); ++edit) {
    const auto ops = *rc::gen::container<std::vector<std::pair<bool, int>>>(rc::gen::pair(
        rc::gen::weightedElement<bool>({{3, true}, {1, false}}), rc::gen::inRange(0, universe)));
    for (const auto& [add, i] : ops) {
      const Key k = key_of(i);
      if (add) {
        ZoneNode* node = current.writable(k.key, k.hash, k.key, edit);
        node->names_below = ++value;  // a change a published copy must not see
        model[i] = value;
      } else {
        current.erase(k.key, k.hash, edit);
        model.erase(i);
      }
    }
    check(current, model, universe);
    kept.emplace_back(current, model);  // published: the next edit copies what it changes
    while (!kept.empty() && *rc::gen::weightedElement<bool>({{2, false}, {1, true}}))
      kept.erase(kept.begin() + *rc::gen::inRange<size_t>(0, kept.size()));
  }
  for (const auto& [map, expected] : kept) check(map, expected, universe);
  // Dropping the newest first leaves the older ones whole.
  current = NodeMap();
  for (const auto& [map, expected] : kept) check(map, expected, universe);
}

}  // namespace
}  // namespace dns
