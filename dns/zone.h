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
// is O(n)); everything else is copied on write. Readers only ever see published parts.
class NodeMap {
 public:
  const ZoneNode* find(std::string_view key, uint64_t hash) const;
  // Inserts or replaces the node with node->key.
  void put(std::shared_ptr<ZoneNode> node, uint64_t edit);
  // Removes the node with this key, if any.
  void erase(std::string_view key, uint64_t hash, uint64_t edit);
  size_t size() const { return size_; }
  void for_each(const std::function<void(const ZoneNode&)>& visit) const;
  // The stored node itself (for in-place update of a node created under the current edit id).
  std::shared_ptr<ZoneNode> find_shared(std::string_view key, uint64_t hash) const;

 private:
  struct Branch;
  struct Child {
    std::shared_ptr<Branch> sub;     // either a deeper branch...
    std::shared_ptr<ZoneNode> leaf;  // ...or one node
  };
  struct Branch {
    uint64_t edit = 0;
    uint32_t bitmap = 0;          // unused at the collision depth (children are all leaves)
    std::vector<Child> children;  // one per set bit, in bit order
  };
  static constexpr unsigned kBits = 5;
  static constexpr unsigned kCollisionDepth = 13;  // 13 * 5 >= 64 hash bits

  static std::shared_ptr<Branch> writable(const std::shared_ptr<Branch>& b, uint64_t edit);
  static std::shared_ptr<Branch> put_in(const std::shared_ptr<Branch>& b, unsigned depth,
                                        std::shared_ptr<ZoneNode> node, uint64_t edit, bool& added);
  static std::shared_ptr<Branch> erase_in(const std::shared_ptr<Branch>& b, unsigned depth,
                                          std::string_view key, uint64_t hash, uint64_t edit,
                                          bool& removed);
  static const Child* find_child(const Branch* b, std::string_view key, uint64_t hash);
  static void visit_all(const Branch* b, const std::function<void(const ZoneNode&)>& visit);

  std::shared_ptr<Branch> root_;
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
  void append_records(std::vector<Record>& out) const;

 private:
  // The node for key, writable under `edit` (copied from the published one if needed), or a new
  // node if there is none.
  std::shared_ptr<ZoneNode> edit_node(std::string_view key, const Name* owner, uint64_t edit);
  void adjust_ancestors(const Name& owner, int delta, uint64_t edit);

  Name apex_;
  std::string apex_key_;
  NodeMap nodes_;
  size_t record_count_ = 0;
  const ZoneNode* apex_cache_ = nullptr;  // reset by every change
};

// Wire helpers over lowercase keys (uncompressed wire names): the key of the parent name, and
// the SOA serial inside SOA rdata.
std::string_view parent_key(std::string_view key);
uint32_t soa_serial(std::span<const uint8_t> soa_rdata);
uint32_t soa_minimum(std::span<const uint8_t> soa_rdata);

}  // namespace dns
