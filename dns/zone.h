#pragma once
// One zone (all data at or below an apex, up to but excluding child zones) stored as a
// persistent hash trie of owner names, so that a new version shares all untouched parts with
// the old one and one change copies O(trie depth + one node), never O(zone).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/rrset.h"

namespace dns {

// A persistent hash array mapped trie from lowercase wire keys to ZoneNodes. Parts created under
// the current edit id are still private to the writer and are updated in place (so a bulk load
// is O(n)); everything else is copied on write, a copied branch borrowing the children it does
// not change from the branch it was copied from (zone.cpp). Readers only ever see published parts.
// Branches and nodes carry their own atomic reference counts, and a child slot is one tagged
// pointer, so a stored name costs 8 bytes of trie plus its share of a branch header.
class NodeMap {
  struct Branch;

 public:
  NodeMap() = default;
  NodeMap(const NodeMap& other);  // shares everything; both may then be edited independently
  NodeMap(NodeMap&& other) noexcept;
  NodeMap& operator=(const NodeMap& other);
  NodeMap& operator=(NodeMap&& other) noexcept;
  ~NodeMap();

  const ZoneNode* find(std::string_view key, uint64_t hash) const;
  // Pulls the branches on the way to these hashes into the cache, every walk a level at a time
  // side by side, so that their cache misses overlap instead of queueing one behind the other
  // (a bulk load's next inserts then find the trie in cache). At most 16 hashes are used.
  void prefetch(std::span<const uint64_t> hashes) const;
  // Inserts or replaces the node with node->key(), taking over the caller's reference.
  void put(ZoneNode* node, uint64_t edit);
  // The node for key, writable under `edit`, in one walk: the stored node if this edit created
  // it, else a copy of it that replaces it, else a new empty node named owner_wire (the owner's
  // wire form in its original case). The pointer stays valid until the next change.
  ZoneNode* writable(std::string_view key, uint64_t hash, std::string_view owner_wire,
                     uint64_t edit);
  // Removes the node with this key, if any.
  void erase(std::string_view key, uint64_t hash, uint64_t edit);
  size_t size() const { return size_; }
  void for_each(const std::function<void(const ZoneNode&)>& visit) const;

  // A place in the map's for_each order, for a walk done a piece at a time (a datastore copy
  // sent in chunks). It points into the map's parts, so it is valid only while the map is
  // neither changed nor destroyed (a published, immutable version); copying it keeps the place.
  class Cursor {
   public:
    const ZoneNode* node() const;  // nullptr past the last node
    void next();

   private:
    friend class NodeMap;
    struct Step {
      const Branch* branch;
      uint32_t index;
    };
    void settle();  // descends to the next node at or after the current place
    std::vector<Step> path_;
  };
  Cursor first() const;

 private:
  struct Ops;              // the recursive helpers (zone.cpp)
  using Slot = uintptr_t;  // a Branch* with bit 0 set, or a ZoneNode*
  static constexpr unsigned kBits = 5;
  static constexpr unsigned kCollisionDepth = 13;  // 13 * 5 >= 64 hash bits

  Branch* root_ = nullptr;
  size_t size_ = 0;
};

// The data of one zone (or, with no SOA, the pseudo-zone of records outside every zone). A Zone
// is a cheap-to-copy value; the writer copies it, changes the copy, and publishes it.
class Zone {
 public:
  explicit Zone(Name apex);

  const Name& apex() const { return apex_; }
  const std::string& apex_key() const { return apex_key_; }
  const ZoneNode* find(std::string_view key) const { return nodes_.find(key, name_key_hash(key)); }
  const ZoneNode* find(std::string_view key, uint64_t hash) const { return nodes_.find(key, hash); }
  // See NodeMap::prefetch: for the owners with these name_key_hash()es.
  void prefetch(std::span<const uint64_t> hashes) const { nodes_.prefetch(hashes); }
  const ZoneNode* apex_node() const { return apex_cache_ ? apex_cache_ : find(apex_key_); }
  // Remembers the apex node for the readers (called when the zone is published).
  void cache_apex() { apex_cache_ = find(apex_key_); }
  const RRset* soa() const;  // nullptr when the zone has no SOA (the outside-zone records)
  size_t record_count() const { return record_count_; }
  size_t name_count() const { return nodes_.size(); }

  // Changes made under one edit id (a writer batch). Return false for a no-op (ADD of a record
  // with identical rdata and TTL, REMOVE of a record not present). A SOA ADD replaces the SOA.
  // The owner must be at or below the apex.
  bool add(const Record& record, uint64_t edit);
  bool remove(const Record& record, uint64_t edit);
  // Sets the SOA serial (RFC 1982 arithmetic is the caller's business).
  void set_soa_serial(uint32_t serial, uint64_t edit);

  void for_each_node(const std::function<void(const ZoneNode&)>& visit) const {
    nodes_.for_each(visit);
  }
  // The first node in for_each_node order (see NodeMap::Cursor).
  NodeMap::Cursor first_node() const { return nodes_.first(); }
  void append_records(std::vector<Record>& out) const;
  // The records of one node of this zone, as append_records lists them.
  static void append_records(const ZoneNode& node, std::vector<Record>& out);

 private:
  // Adds delta to names_below of every ancestor of the owner (key: its lowercase wire form)
  // strictly between it and the apex, creating empty non-terminals and dropping them when empty.
  void adjust_ancestors(std::string_view owner_wire, std::string_view key, int delta,
                        uint64_t edit);

  Name apex_;
  std::string apex_key_;
  NodeMap nodes_;
  size_t record_count_ = 0;
  const ZoneNode* apex_cache_ = nullptr;  // reset by every change
  // The node the last add() wrote (private to that edit), so that the next records of the same
  // owner, a zone file's usual order, skip the trie walk. Reset by every removal; a copy of the
  // zone starts without it.
  struct LastNode {
    ZoneNode* node = nullptr;
    LastNode() = default;
    LastNode(const LastNode&) {}
    LastNode& operator=(const LastNode&) {
      node = nullptr;
      return *this;
    }
  };
  LastNode last_;
};

// Wire helpers over lowercase keys (uncompressed wire names): the key of the parent name, and
// the SOA serial inside SOA rdata.
std::string_view parent_key(std::string_view key);
uint32_t soa_serial(std::span<const uint8_t> soa_rdata);
uint32_t soa_minimum(std::span<const uint8_t> soa_rdata);

}  // namespace dns
