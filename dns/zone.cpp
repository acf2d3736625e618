#include "dns/zone.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

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

// A trie level: which of the 32 hash digits have a child (unused at the collision depth, where
// every child is a node with the same hash), then the children in one block with the header.
//
// A branch copied from a published one, to change a slot or two, would have to take a reference
// to each of its up to 32 children: a cold cache line each in a large zone, and as many again
// when the old version is freed (under an UPDATE load, the top of a follower's profile and
// growing with the zone). Instead the copy borrows them: it holds one reference to the branch it
// was copied from (its lender, which keeps its own references to all its children) and owns
// only the children of the digits in `owned`. A lender is never a borrower (a copy of a
// borrower borrows from the same lender), never edited in place (the borrowers' references make
// it shared), and never at the collision depth. A copy that would own half its children or more
// owns them all and lets its lender go, so that a lender's stale children stay few.
// Reference counts then count owners: parent slots that own the child, maps' roots and
// borrowers. The writer takes ownership of a slot before it changes or descends into it.
struct NodeMap::Branch {
  std::atomic<uint32_t> refs{1};
  uint32_t bitmap = 0;
  uint64_t edit = 0;
  uint32_t count = 0;
  uint32_t capacity = 0;
  Branch* lender = nullptr;  // null: every child is owned
  uint32_t owned = 0;        // with a lender: the digits whose children this branch owns
  Slot* slots() { return reinterpret_cast<Slot*>(this + 1); }
  const Slot* slots() const { return reinterpret_cast<const Slot*>(this + 1); }
};

struct NodeMap::Ops {
  static constexpr unsigned kOwnAllAt = 16;  // owned digits at which a copy owns every child

  static bool is_branch(Slot s) { return (s & 1) != 0; }
  static Branch* branch(Slot s) { return reinterpret_cast<Branch*>(s & ~Slot{1}); }
  static ZoneNode* node(Slot s) { return reinterpret_cast<ZoneNode*>(s); }
  static Slot slot(Branch* b) { return reinterpret_cast<Slot>(b) | 1; }
  static Slot slot(ZoneNode* n) { return reinterpret_cast<Slot>(n); }

  static Branch* allocate(uint32_t capacity, uint64_t edit) {
    void* mem = std::malloc(sizeof(Branch) + capacity * sizeof(Slot));
    if (!mem) throw std::bad_alloc();
    auto* b = new (mem) Branch;
    b->capacity = capacity;
    b->edit = edit;
    return b;
  }
  static void free_branch(Branch* b) {
    b->~Branch();
    std::free(b);
  }
  static void retain(Slot s) {
    if (is_branch(s))
      branch(s)->refs.fetch_add(1, std::memory_order_relaxed);
    else
      node(s)->retain();
  }
  static bool owns(const Branch* b, uint32_t bit) { return !b->lender || (b->owned & bit); }
  // Calls f(slot) for each child b owns.
  template <class F>
  static void for_owned(const Branch* b, F&& f) {
    if (!b->lender) {
      for (uint32_t i = 0; i < b->count; ++i) f(b->slots()[i]);
      return;
    }
    uint32_t i = 0;
    for (uint32_t bits = b->bitmap; bits != 0; bits &= bits - 1, ++i)
      if (b->owned & (bits & (~bits + 1))) f(b->slots()[i]);
  }
  static void release(Branch* b) {
    if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    for_owned(b, [](Slot s) { release(s); });
    if (b->lender) release(b->lender);
    free_branch(b);
  }
  static void release(Slot s) {
    if (is_branch(s))
      release(branch(s));
    else
      node(s)->release();
  }
  // Makes the child at digit `bit` (slot s) w's own, so that it can be changed, replaced or
  // handed down: a borrowed one gets a reference of w's.
  static void take(Branch* w, uint32_t bit, Slot s) {
    if (owns(w, bit)) return;
    retain(s);
    w->owned |= bit;
  }
  // Gives up w's claim on the child at digit `bit`, which is leaving w's slots.
  static void drop(Branch* w, uint32_t bit, Slot s) {
    if (owns(w, bit)) release(s);
    w->owned &= ~bit;
  }
  static bool ours(const Branch* b, uint64_t edit) {
    return b->edit == edit && b->refs.load(std::memory_order_acquire) == 1;
  }

  // Takes over the reference to b (may be null); returns a branch private to this edit with room
  // for `need` children: b itself when it already is one and has room, else a copy.
  static Branch* writable(Branch* b, uint64_t edit, uint32_t need, unsigned depth) {
    if (b && ours(b, edit) && b->capacity >= need) return b;
    const uint32_t limit = depth == kCollisionDepth ? UINT32_MAX : 32;
    // Growing our own branch doubles (a bulk load stays linear); a copy of a published one is
    // sized to fit, since most are never touched again.
    uint32_t capacity = need;
    if (b && b->edit == edit) capacity = std::min(std::max(need, 2 * b->capacity), limit);
    Branch* w = allocate(std::max(capacity, 1u), edit);
    if (!b) return w;
    w->bitmap = b->bitmap;
    w->count = b->count;
    std::memcpy(w->slots(), b->slots(), b->count * sizeof(Slot));
    if (ours(b, edit)) {
      // The children, and the claim on a lender, move over with their references.
      w->lender = b->lender;
      w->owned = b->owned;
      free_branch(b);
      return w;
    }
    // Parts of this edit may still be edited in place (Zone::add goes by a node's edit and count),
    // so they are never lent: a borrowed child could change under the borrower. Nor is the
    // collision bucket, whose slots are not one per digit.
    const bool lend = depth != kCollisionDepth && b->edit != edit &&
                      (!b->lender || (b->lender->edit != edit && popcount32(b->owned) < kOwnAllAt));
    if (!lend) {
      for (uint32_t i = 0; i < w->count; ++i) retain(w->slots()[i]);
      release(b);
      return w;
    }
    if (!b->lender) {
      w->lender = b;  // the reference to b handed in becomes the claim on it
      return w;
    }
    w->lender = b->lender;
    w->lender->refs.fetch_add(1, std::memory_order_relaxed);
    w->owned = b->owned;
    for_owned(b, [](Slot s) { retain(s); });
    release(b);
    return w;
  }

  static uint32_t digit_bit(uint64_t hash, unsigned depth) {
    return 1u << ((hash >> (kBits * depth)) & 31);
  }

  // The make() of upsert that keeps the node it was given (one type, so recursion stays finite).
  struct Keep {
    ZoneNode* leaf;
    ZoneNode* operator()(const ZoneNode*) const { return leaf; }
  };

  // Finds or places the node for key below b (whose reference it takes over; may be null) and
  // returns the new branch. make(existing) gives the node to store, with its reference:
  // `existing` itself to keep it (it must then already be private to this edit), a new node, or
  // (existing == nullptr) the node to add. *out is the node stored.
  template <class Make>
  static Branch* upsert(Branch* b, unsigned depth, std::string_view key, uint64_t hash,
                        uint64_t edit, Make& make, ZoneNode*& out, bool& added) {
    if (depth == kCollisionDepth) {
      const uint32_t count = b ? b->count : 0;
      for (uint32_t i = 0; i < count; ++i) {
        ZoneNode* leaf = node(b->slots()[i]);
        if (leaf->key() != key) continue;
        ZoneNode* put = make(leaf);
        Branch* w = writable(b, edit, count, depth);
        if (put != leaf) {
          release(w->slots()[i]);
          w->slots()[i] = slot(put);
        }
        out = put;
        return w;
      }
      Branch* w = writable(b, edit, count + 1, depth);
      out = make(nullptr);
      w->slots()[w->count++] = slot(out);
      added = true;
      return w;
    }
    const uint32_t bit = digit_bit(hash, depth);
    const uint32_t count = b ? b->count : 0;
    const uint32_t pos = b ? popcount32(b->bitmap & (bit - 1)) : 0;
    if (!b || (b->bitmap & bit) == 0) {
      Branch* w = writable(b, edit, count + 1, depth);
      Slot* slots = w->slots();
      std::memmove(slots + pos + 1, slots + pos, (w->count - pos) * sizeof(Slot));
      out = make(nullptr);
      slots[pos] = slot(out);
      w->bitmap |= bit;
      w->owned |= bit;  // a new child is w's own
      ++w->count;
      added = true;
      return w;
    }
    Branch* w = writable(b, edit, count, depth);
    Slot& c = w->slots()[pos];
    take(w, bit, c);
    if (is_branch(c)) {
      c = slot(upsert(branch(c), depth + 1, key, hash, edit, make, out, added));
      return w;
    }
    ZoneNode* leaf = node(c);
    if (leaf->hash == hash && leaf->key() == key) {
      ZoneNode* put = make(leaf);
      if (put != leaf) {
        leaf->release();
        c = slot(put);
      }
      out = put;
      return w;
    }
    // Two nodes share this digit: push the old one down a level (its reference moves with it).
    Keep keep{leaf};
    ZoneNode* ignored_out = nullptr;
    bool ignored_added = false;
    Branch* sub =
        upsert(nullptr, depth + 1, leaf->key(), leaf->hash, edit, keep, ignored_out, ignored_added);
    c = slot(upsert(sub, depth + 1, key, hash, edit, make, out, added));
    return w;
  }

  // Removes the node for key, which must be present below b (whose reference it takes over).
  // Returns the new branch, or null when it became empty.
  static Branch* erase(Branch* b, unsigned depth, std::string_view key, uint64_t hash,
                       uint64_t edit) {
    Branch* w = writable(b, edit, b->count, depth);
    Slot* slots = w->slots();
    uint32_t pos = 0;
    if (depth == kCollisionDepth) {
      while (node(slots[pos])->key() != key) ++pos;
      release(slots[pos]);
    } else {
      const uint32_t bit = digit_bit(hash, depth);
      pos = popcount32(w->bitmap & (bit - 1));
      if (is_branch(slots[pos])) {
        take(w, bit, slots[pos]);
        Branch* sub = erase(branch(slots[pos]), depth + 1, key, hash, edit);
        if (sub && sub->count == 1 && !is_branch(sub->slots()[0])) {
          // A branch holding a single node is replaced by the node: lookups stay short.
          slots[pos] = sub->slots()[0];
          retain(slots[pos]);
          release(sub);
          return w;
        }
        if (sub) {
          slots[pos] = slot(sub);
          return w;
        }
        w->owned &= ~bit;  // the emptied branch's reference went with it
      } else {
        drop(w, bit, slots[pos]);
      }
      w->bitmap &= ~bit;
    }
    std::memmove(slots + pos, slots + pos + 1, (w->count - pos - 1) * sizeof(Slot));
    if (--w->count == 0) {
      if (w->lender) release(w->lender);
      free_branch(w);
      return nullptr;
    }
    return w;
  }

  static void visit_all(const Branch* b, const std::function<void(const ZoneNode&)>& visit) {
    if (!b) return;
    for (uint32_t i = 0; i < b->count; ++i) {
      const Slot s = b->slots()[i];
      if (is_branch(s))
        visit_all(branch(s), visit);
      else
        visit(*node(s));
    }
  }
};

NodeMap::NodeMap(const NodeMap& other) : root_(other.root_), size_(other.size_) {
  if (root_) root_->refs.fetch_add(1, std::memory_order_relaxed);
}

NodeMap::NodeMap(NodeMap&& other) noexcept : root_(other.root_), size_(other.size_) {
  other.root_ = nullptr;
  other.size_ = 0;
}

NodeMap& NodeMap::operator=(const NodeMap& other) {
  if (this != &other) {
    NodeMap copy(other);
    *this = std::move(copy);
  }
  return *this;
}

NodeMap& NodeMap::operator=(NodeMap&& other) noexcept {
  if (this != &other) {
    if (root_) Ops::release(root_);
    root_ = other.root_;
    size_ = other.size_;
    other.root_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

NodeMap::~NodeMap() {
  if (root_) Ops::release(root_);
}

const ZoneNode* NodeMap::find(std::string_view key, uint64_t hash) const {
  const Branch* b = root_;
  for (unsigned depth = 0; b != nullptr; ++depth) {
    if (depth == kCollisionDepth) {
      for (uint32_t i = 0; i < b->count; ++i)
        if (Ops::node(b->slots()[i])->key() == key) return Ops::node(b->slots()[i]);
      return nullptr;
    }
    const uint32_t bit = Ops::digit_bit(hash, depth);
    if ((b->bitmap & bit) == 0) return nullptr;
    const Slot c = b->slots()[popcount32(b->bitmap & (bit - 1))];
    if (!Ops::is_branch(c)) {
      const ZoneNode* leaf = Ops::node(c);
      return leaf->hash == hash && leaf->key() == key ? leaf : nullptr;
    }
    b = Ops::branch(c);
  }
  return nullptr;
}

void NodeMap::prefetch(std::span<const uint64_t> hashes) const {
  constexpr size_t kMaxWalks = 16;
  const Branch* at[kMaxWalks];
  const size_t walks = std::min(hashes.size(), kMaxWalks);
  for (size_t i = 0; i < walks; ++i) at[i] = root_;
  for (unsigned depth = 0; depth < kCollisionDepth; ++depth) {
    bool deeper = false;
    for (size_t i = 0; i < walks; ++i) {
      const Branch* b = at[i];
      if (!b) continue;
      at[i] = nullptr;
      const uint32_t bit = Ops::digit_bit(hashes[i], depth);
      if ((b->bitmap & bit) == 0) continue;
      const Slot c = b->slots()[popcount32(b->bitmap & (bit - 1))];
      if (Ops::is_branch(c)) {
        at[i] = Ops::branch(c);
        __builtin_prefetch(at[i]);
        deeper = true;
      } else {
        __builtin_prefetch(Ops::node(c));
      }
    }
    if (!deeper) return;
  }
}

void NodeMap::put(ZoneNode* node, uint64_t edit) {
  auto make = [node](const ZoneNode*) { return node; };
  ZoneNode* out = nullptr;
  bool added = false;
  root_ = Ops::upsert(root_, 0, node->key(), node->hash, edit, make, out, added);
  if (added) ++size_;
}

ZoneNode* NodeMap::writable(std::string_view key, uint64_t hash, std::string_view owner_wire,
                            uint64_t edit) {
  auto make = [&](ZoneNode* existing) -> ZoneNode* {
    if (!existing) return ZoneNode::create(key, owner_wire, hash);
    if (existing->edit == edit && !existing->shared()) return existing;
    ZoneNode* copy = ZoneNode::clone(*existing);
    copy->edit = edit;
    return copy;
  };
  ZoneNode* out = nullptr;
  bool added = false;
  root_ = Ops::upsert(root_, 0, key, hash, edit, make, out, added);
  if (added) {
    out->edit = edit;
    ++size_;
  }
  return out;
}

void NodeMap::erase(std::string_view key, uint64_t hash, uint64_t edit) {
  if (!find(key, hash)) return;
  root_ = Ops::erase(root_, 0, key, hash, edit);
  --size_;
}

void NodeMap::for_each(const std::function<void(const ZoneNode&)>& visit) const {
  Ops::visit_all(root_, visit);
}

NodeMap::Cursor NodeMap::first() const {
  Cursor c;
  if (root_) {
    c.path_.push_back({root_, 0});
    c.settle();
  }
  return c;
}

const ZoneNode* NodeMap::Cursor::node() const {
  if (path_.empty()) return nullptr;
  return Ops::node(path_.back().branch->slots()[path_.back().index]);
}

void NodeMap::Cursor::next() {
  if (path_.empty()) return;
  ++path_.back().index;
  settle();
}

void NodeMap::Cursor::settle() {
  while (!path_.empty()) {
    Step& top = path_.back();
    if (top.index >= top.branch->count) {
      path_.pop_back();
      if (!path_.empty()) ++path_.back().index;
      continue;
    }
    const Slot s = top.branch->slots()[top.index];
    if (!Ops::is_branch(s)) return;  // on a node
    path_.push_back({Ops::branch(s), 0});
  }
}

// ------------------------------------------------------------------------------------ ZoneNode

ZoneNode* ZoneNode::allocate(std::string_view key, std::string_view owner_wire) {
  assert(key.size() == owner_wire.size() && key.size() <= Name::kMaxWireLength);
  const bool own_case = owner_wire != key;
  void* mem = ::operator new(sizeof(ZoneNode) + key.size() * (own_case ? 2 : 1));
  auto* n = new (mem) ZoneNode(static_cast<uint8_t>(key.size()), own_case);
  std::memcpy(n->names(), key.data(), key.size());
  if (own_case) std::memcpy(n->names() + key.size(), owner_wire.data(), key.size());
  n->refs_.store(1, std::memory_order_relaxed);
  return n;
}

ZoneNode* ZoneNode::create(std::string_view key, std::string_view owner_wire, uint64_t hash) {
  ZoneNode* n = allocate(key, owner_wire);
  n->hash = hash;
  return n;
}

ZoneNode* ZoneNode::clone(const ZoneNode& other) {
  const std::string_view key = other.key();
  ZoneNode* n = allocate(
      key, other.own_case_ ? std::string_view(other.names() + key.size(), key.size()) : key);
  n->hash = other.hash;
  n->edit = other.edit;
  n->names_below = other.names_below;
  n->rrsets = other.rrsets;
  return n;
}

void ZoneNode::release() const {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  ZoneNode* self = const_cast<ZoneNode*>(this);
  self->~ZoneNode();
  ::operator delete(self);
}

Name ZoneNode::owner() const {
  const char* p = own_case_ ? names() + key_length_ : names();
  return Name::from_validated_wire(std::string(p, key_length_));
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

namespace {

bool same_octets(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace

void Zone::adjust_ancestors(std::string_view owner_wire, std::string_view key, int delta,
                            uint64_t edit) {
  size_t off = 0;
  while (key.size() - off > apex_key_.size()) {
    off += 1 + static_cast<uint8_t>(key[off]);
    const std::string_view ancestor = key.substr(off);
    // An empty non-terminal takes the case of the name below it that created it.
    ZoneNode* node =
        nodes_.writable(ancestor, name_key_hash(ancestor), owner_wire.substr(off), edit);
    node->names_below += delta;
    if (!node->has_data() && node->names_below == 0) {
      if (last_.node == node) last_.node = nullptr;
      nodes_.erase(ancestor, node->hash, edit);
    }
  }
}

bool Zone::add(const Record& record, uint64_t edit) {
  char buf[Name::kMaxWireLength];
  const std::string_view key = name_key(record.owner, buf);
  const uint64_t hash = name_key_hash(key);
  const ZoneNode* existing = last_.node && last_.node->edit == edit && last_.node->key() == key
                                 ? last_.node
                                 : nodes_.find(key, hash);
  const RRset* set = existing ? existing->find(record.type) : nullptr;
  if (set && record.type != type::SOA) {
    if (set->ttl == record.ttl)
      for (const auto rd : set->rdatas)
        if (rdata_equal(record.type, rd, record.rdata)) return false;
  }
  if (set && record.type == type::SOA && set->rdatas.size() == 1 && set->ttl == record.ttl &&
      same_octets(set->rdatas[0], record.rdata))
    return false;

  apex_cache_ = nullptr;  // the apex node may be replaced by a copy below
  const bool had_data = existing && existing->has_data();
  // A node this batch created is private to the writer already: no second walk.
  ZoneNode* node = existing && existing->edit == edit && !existing->shared()
                       ? const_cast<ZoneNode*>(existing)
                       : nodes_.writable(key, hash, record.owner.wire(), edit);
  auto it = std::lower_bound(node->rrsets.begin(), node->rrsets.end(), record.type,
                             [](const RRset& s, uint16_t t) { return s.type < t; });
  if (it == node->rrsets.end() || it->type != record.type)
    it = node->rrsets.insert(it, RRset{record.type, record.ttl, {}});
  it->ttl = record.ttl;
  if (record.type == type::SOA) {
    record_count_ += 1 - it->rdatas.size();
    it->rdatas = RdataList();
    it->rdatas.push_back(record.rdata);
  } else {
    bool present = false;
    for (const auto rd : it->rdatas)
      present = present || rdata_equal(record.type, rd, record.rdata);
    if (!present) {
      it->rdatas.push_back(record.rdata);
      ++record_count_;
    }
  }
  if (!had_data) adjust_ancestors(record.owner.wire(), key, +1, edit);
  last_.node = node;
  return true;
}

bool Zone::remove(const Record& record, uint64_t edit) {
  char buf[Name::kMaxWireLength];
  const std::string_view key = name_key(record.owner, buf);
  const uint64_t hash = name_key_hash(key);
  const ZoneNode* existing = nodes_.find(key, hash);
  const RRset* set = existing ? existing->find(record.type) : nullptr;
  if (!set) return false;
  size_t index = set->rdatas.size();
  size_t i = 0;
  for (const auto rd : set->rdatas) {
    if (rdata_equal(record.type, rd, record.rdata)) index = i;
    ++i;
  }
  if (index == set->rdatas.size()) return false;

  apex_cache_ = nullptr;
  last_.node = nullptr;  // the node below may be erased
  ZoneNode* node = nodes_.writable(key, hash, record.owner.wire(), edit);
  auto it = std::find_if(node->rrsets.begin(), node->rrsets.end(),
                         [&](const RRset& s) { return s.type == record.type; });
  it->rdatas.erase(index);
  --record_count_;
  if (it->rdatas.empty()) node->rrsets.erase(it);
  if (!node->has_data()) {
    if (node->names_below == 0) nodes_.erase(key, hash, edit);
    adjust_ancestors(record.owner.wire(), key, -1, edit);
  }
  return true;
}

void Zone::set_soa_serial(uint32_t serial, uint64_t edit) {
  apex_cache_ = nullptr;
  ZoneNode* node = nodes_.writable(apex_key_, name_key_hash(apex_key_), apex_.wire(), edit);
  RRset* set = node->find(type::SOA);
  if (!set || set->rdatas.empty()) return;
  const std::span<uint8_t> rd = set->rdatas.mutable_at(0);
  const size_t pos = soa_serial_offset(rd);
  rd[pos] = serial >> 24;
  rd[pos + 1] = serial >> 16;
  rd[pos + 2] = serial >> 8;
  rd[pos + 3] = serial;
}

void Zone::append_records(std::vector<Record>& out) const {
  nodes_.for_each([&](const ZoneNode& n) { append_records(n, out); });
}

void Zone::append_records(const ZoneNode& node, std::vector<Record>& out) {
  const Name owner = node.owner();
  for (const RRset& s : node.rrsets)
    for (const auto rd : s.rdatas)
      out.push_back(Record{owner, s.type, rclass::IN, s.ttl, {rd.begin(), rd.end()}});
}

}  // namespace dns
