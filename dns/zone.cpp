#include "dns/zone.h"

#include <algorithm>
#include <bit>
#include <cassert>

#include "dns/error.h"
#include "dns/rdata.h"
#include "dns/types.h"

namespace dns {

namespace {

// Without -mpopcnt, std::popcount is a libgcc call; this is a few inline instructions.
inline unsigned popcount32(uint32_t v) {
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

}  // namespace

// ---------------------------------------------------------------------------------- NodeMap

const NodeMap::Child* NodeMap::find_child(const Branch* b, std::string_view key, uint64_t hash) {
  for (unsigned depth = 0; b != nullptr; ++depth) {
    if (depth == kCollisionDepth) {
      for (const Child& c : b->children)
        if (c.leaf->key == key) return &c;
      return nullptr;
    }
    const uint32_t bit = 1u << ((hash >> (kBits * depth)) & 31);
    if ((b->bitmap & bit) == 0) return nullptr;
    const Child& c = b->children[popcount32(b->bitmap & (bit - 1))];
    if (c.leaf) return c.leaf->hash == hash && c.leaf->key == key ? &c : nullptr;
    b = c.sub.get();
  }
  return nullptr;
}

const ZoneNode* NodeMap::find(std::string_view key, uint64_t hash) const {
  const Child* c = find_child(root_.get(), key, hash);
  return c ? c->leaf.get() : nullptr;
}

std::shared_ptr<ZoneNode> NodeMap::find_shared(std::string_view key, uint64_t hash) const {
  const Child* c = find_child(root_.get(), key, hash);
  return c ? c->leaf : nullptr;
}

std::shared_ptr<NodeMap::Branch> NodeMap::writable(const std::shared_ptr<Branch>& b,
                                                   uint64_t edit) {
  if (b && b->edit == edit) return b;  // created in this batch: not visible to readers yet
  auto copy = b ? std::make_shared<Branch>(*b) : std::make_shared<Branch>();
  copy->edit = edit;
  return copy;
}

std::shared_ptr<NodeMap::Branch> NodeMap::put_in(const std::shared_ptr<Branch>& b, unsigned depth,
                                                 std::shared_ptr<ZoneNode> node, uint64_t edit,
                                                 bool& added) {
  auto w = writable(b, edit);
  if (depth == kCollisionDepth) {
    for (Child& c : w->children)
      if (c.leaf->key == node->key) {
        c.leaf = std::move(node);
        return w;
      }
    w->children.push_back(Child{nullptr, std::move(node)});
    added = true;
    return w;
  }
  const uint32_t bit = 1u << ((node->hash >> (kBits * depth)) & 31);
  const size_t pos = popcount32(w->bitmap & (bit - 1));
  if ((w->bitmap & bit) == 0) {
    w->children.insert(w->children.begin() + pos, Child{nullptr, std::move(node)});
    w->bitmap |= bit;
    added = true;
    return w;
  }
  Child& c = w->children[pos];
  if (c.leaf) {
    if (c.leaf->key == node->key) {
      c.leaf = std::move(node);
      return w;
    }
    bool ignored = false;
    auto sub = put_in(nullptr, depth + 1, c.leaf, edit, ignored);
    sub = put_in(sub, depth + 1, std::move(node), edit, added);
    c = Child{std::move(sub), nullptr};
    return w;
  }
  c.sub = put_in(c.sub, depth + 1, std::move(node), edit, added);
  return w;
}

std::shared_ptr<NodeMap::Branch> NodeMap::erase_in(const std::shared_ptr<Branch>& b, unsigned depth,
                                                   std::string_view key, uint64_t hash,
                                                   uint64_t edit, bool& removed) {
  if (!b) return b;
  if (depth == kCollisionDepth) {
    auto it = std::find_if(b->children.begin(), b->children.end(),
                           [&](const Child& c) { return c.leaf->key == key; });
    if (it == b->children.end()) return b;
    auto w = writable(b, edit);
    w->children.erase(w->children.begin() + (it - b->children.begin()));
    removed = true;
    return w->children.empty() ? nullptr : w;
  }
  const uint32_t bit = 1u << ((hash >> (kBits * depth)) & 31);
  if ((b->bitmap & bit) == 0) return b;
  const size_t pos = popcount32(b->bitmap & (bit - 1));
  const Child& c = b->children[pos];
  std::shared_ptr<Branch> new_sub;
  if (c.leaf) {
    if (c.leaf->key != key) return b;
  } else {
    new_sub = erase_in(c.sub, depth + 1, key, hash, edit, removed);
    if (!removed) return b;
  }
  removed = true;
  auto w = writable(b, edit);
  if (new_sub && new_sub->children.size() == 1 && new_sub->children[0].leaf) {
    // A branch holding a single node is replaced by the node: lookups stay short.
    w->children[pos] = Child{nullptr, new_sub->children[0].leaf};
  } else if (new_sub) {
    w->children[pos].sub = std::move(new_sub);
  } else {
    w->children.erase(w->children.begin() + pos);
    w->bitmap &= ~bit;
  }
  return w->children.empty() ? nullptr : w;
}

void NodeMap::put(std::shared_ptr<ZoneNode> node, uint64_t edit) {
  bool added = false;
  root_ = put_in(root_, 0, std::move(node), edit, added);
  if (added) ++size_;
}

void NodeMap::erase(std::string_view key, uint64_t hash, uint64_t edit) {
  bool removed = false;
  auto r = erase_in(root_, 0, key, hash, edit, removed);
  if (!removed) return;
  root_ = std::move(r);
  --size_;
}

void NodeMap::visit_all(const Branch* b, const std::function<void(const ZoneNode&)>& visit) {
  if (!b) return;
  for (const Child& c : b->children) {
    if (c.leaf)
      visit(*c.leaf);
    else
      visit_all(c.sub.get(), visit);
  }
}

void NodeMap::for_each(const std::function<void(const ZoneNode&)>& visit) const {
  visit_all(root_.get(), visit);
}

// ------------------------------------------------------------------------------ wire helpers

std::string_view parent_key(std::string_view key) {
  if (key.size() <= 1) return key;
  return key.substr(1 + static_cast<uint8_t>(key[0]));
}

namespace {

// Offset just past the uncompressed name starting at `pos`, or rdata.size()+1 if malformed.
size_t skip_name(std::span<const uint8_t> rdata, size_t pos) {
  while (pos < rdata.size()) {
    const uint8_t len = rdata[pos];
    if (len == 0) return pos + 1;
    if (len > 63) break;
    pos += 1 + len;
  }
  return rdata.size() + 1;
}

uint32_t read_u32(std::span<const uint8_t> d, size_t pos) {
  return (uint32_t{d[pos]} << 24) | (uint32_t{d[pos + 1]} << 16) | (uint32_t{d[pos + 2]} << 8) |
         d[pos + 3];
}

// Offset of the serial field in SOA rdata (after MNAME and RNAME).
size_t soa_serial_offset(std::span<const uint8_t> rdata) {
  const size_t pos = skip_name(rdata, skip_name(rdata, 0));
  if (pos + 20 > rdata.size()) throw FormatError("SOA rdata too short");
  return pos;
}

}  // namespace

uint32_t soa_serial(std::span<const uint8_t> rdata) {
  return read_u32(rdata, soa_serial_offset(rdata));
}

uint32_t soa_minimum(std::span<const uint8_t> rdata) {
  return read_u32(rdata, soa_serial_offset(rdata) + 16);
}

// -------------------------------------------------------------------------------------- Zone

Zone::Zone(Name apex) : apex_(std::move(apex)), apex_key_(name_key(apex_)) {}

const RRset* Zone::soa() const {
  const ZoneNode* n = apex_node();
  return n ? n->find(type::SOA) : nullptr;
}

std::shared_ptr<ZoneNode> Zone::edit_node(std::string_view key, const Name* owner, uint64_t edit) {
  const uint64_t hash = name_key_hash(key);
  std::shared_ptr<ZoneNode> found = nodes_.find_shared(key, hash);
  if (found && found->edit == edit) return found;
  std::shared_ptr<ZoneNode> node;
  if (found) {
    node = std::make_shared<ZoneNode>(*found);
  } else {
    node = std::make_shared<ZoneNode>();
    // An empty non-terminal takes the case of the name below it that created it.
    node->owner = owner ? *owner : Name::from_validated_wire(std::string(key));
    node->key = std::string(key);
    node->hash = hash;
  }
  node->edit = edit;
  nodes_.put(node, edit);
  return node;
}

void Zone::adjust_ancestors(const Name& owner, int delta, uint64_t edit) {
  const std::string lower = name_key(owner);
  std::string_view key = lower;
  Name ancestor = owner;
  while (key.size() > apex_key_.size()) {
    key = parent_key(key);
    ancestor = ancestor.parent();
    auto node = edit_node(key, &ancestor, edit);
    node->names_below += delta;
    if (!node->has_data() && node->names_below == 0) nodes_.erase(node->key, node->hash, edit);
  }
}

bool Zone::add(const Record& record, uint64_t edit) {
  const std::string key = name_key(record.owner);
  const ZoneNode* existing = find(key);
  const RRset* set = existing ? existing->find(record.type) : nullptr;
  if (set && record.type != type::SOA) {
    for (const auto& rd : set->rdatas)
      if (rdata_equal(record.type, rd, record.rdata) && set->ttl == record.ttl) return false;
  }
  if (set && record.type == type::SOA && set->rdatas.size() == 1 && set->ttl == record.ttl &&
      set->rdatas[0] == record.rdata)
    return false;

  const bool had_data = existing && existing->has_data();
  auto node = edit_node(key, &record.owner, edit);
  auto it = std::lower_bound(node->rrsets.begin(), node->rrsets.end(), record.type,
                             [](const RRset& s, uint16_t t) { return s.type < t; });
  if (it == node->rrsets.end() || it->type != record.type)
    it = node->rrsets.insert(it, RRset{record.type, record.ttl, {}});
  it->ttl = record.ttl;
  if (record.type == type::SOA) {
    record_count_ += 1 - it->rdatas.size();
    it->rdatas.assign(1, record.rdata);
  } else {
    bool present = false;
    for (const auto& rd : it->rdatas)
      present = present || rdata_equal(record.type, rd, record.rdata);
    if (!present) {
      it->rdatas.push_back(record.rdata);
      ++record_count_;
    }
  }
  if (!had_data) adjust_ancestors(record.owner, +1, edit);
  return true;
}

bool Zone::remove(const Record& record, uint64_t edit) {
  const std::string key = name_key(record.owner);
  const ZoneNode* existing = find(key);
  const RRset* set = existing ? existing->find(record.type) : nullptr;
  if (!set) return false;
  size_t index = set->rdatas.size();
  for (size_t i = 0; i < set->rdatas.size(); ++i)
    if (rdata_equal(record.type, set->rdatas[i], record.rdata)) index = i;
  if (index == set->rdatas.size()) return false;

  auto node = edit_node(key, nullptr, edit);
  auto it = std::find_if(node->rrsets.begin(), node->rrsets.end(),
                         [&](const RRset& s) { return s.type == record.type; });
  it->rdatas.erase(it->rdatas.begin() + index);
  --record_count_;
  if (it->rdatas.empty()) node->rrsets.erase(it);
  if (!node->has_data()) {
    if (node->names_below == 0) nodes_.erase(node->key, node->hash, edit);
    adjust_ancestors(record.owner, -1, edit);
  }
  return true;
}

void Zone::set_soa_serial(uint32_t serial, uint64_t edit) {
  auto node = edit_node(apex_key_, &apex_, edit);
  RRset* set = nullptr;
  for (RRset& s : node->rrsets)
    if (s.type == type::SOA) set = &s;
  if (!set || set->rdatas.empty()) return;
  auto& rd = set->rdatas[0];
  const size_t pos = soa_serial_offset(rd);
  rd[pos] = serial >> 24;
  rd[pos + 1] = serial >> 16;
  rd[pos + 2] = serial >> 8;
  rd[pos + 3] = serial;
}

void Zone::append_records(std::vector<Record>& out) const {
  nodes_.for_each([&](const ZoneNode& n) {
    for (const RRset& s : n.rrsets)
      for (const auto& rd : s.rdatas) out.push_back(Record{n.owner, s.type, rclass::IN, s.ttl, rd});
  });
}

}  // namespace dns
