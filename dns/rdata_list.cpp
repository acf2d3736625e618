#include "dns/rdata_list.h"

#include <cassert>
#include <cstdlib>
#include <new>

namespace dns {

namespace {

uint8_t* allocate(size_t octets) {
  auto* p = static_cast<uint8_t*>(std::malloc(octets));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

RdataList::RdataList(const RdataList& other) : used_(other.used_), count_(other.count_) {
  if (other.on_heap()) {
    // A copy is what a writer makes of a published RRset: sized exactly, grown on demand.
    heap_ = Heap{allocate(used_), used_};
    std::memcpy(heap_.ptr, other.heap_.ptr, used_);
  } else {
    std::memcpy(local_, other.local_, used_);
  }
}

RdataList::RdataList(RdataList&& other) noexcept : used_(other.used_), count_(other.count_) {
  if (other.on_heap())
    heap_ = other.heap_;
  else
    std::memcpy(local_, other.local_, used_);
  other.used_ = other.count_ = 0;
}

RdataList& RdataList::operator=(const RdataList& other) {
  if (this != &other) {
    RdataList copy(other);
    *this = std::move(copy);
  }
  return *this;
}

RdataList& RdataList::operator=(RdataList&& other) noexcept {
  if (this != &other) {
    release();
    used_ = other.used_;
    count_ = other.count_;
    if (other.on_heap())
      heap_ = other.heap_;
    else
      std::memcpy(local_, other.local_, used_);
    other.used_ = other.count_ = 0;
  }
  return *this;
}

void RdataList::release() {
  if (on_heap()) std::free(heap_.ptr);
  used_ = count_ = 0;
}

std::span<const uint8_t> RdataList::operator[](size_t index) const {
  assert(index < count_);
  auto it = begin();
  for (; index > 0; --index) ++it;
  return *it;
}

std::span<uint8_t> RdataList::mutable_at(size_t index) {
  const std::span<const uint8_t> rd = (*this)[index];
  return {const_cast<uint8_t*>(rd.data()), rd.size()};
}

void RdataList::reserve_for(size_t needed) {
  if (needed <= kInline) return;  // still fits inline (used_ <= needed, so we are inline too)
  if (on_heap()) {
    if (needed <= heap_.capacity) return;
    size_t capacity = heap_.capacity;
    while (capacity < needed) capacity *= 2;
    uint8_t* p = allocate(capacity);
    std::memcpy(p, heap_.ptr, used_);
    std::free(heap_.ptr);
    heap_ = Heap{p, static_cast<uint32_t>(capacity)};
    return;
  }
  size_t capacity = 2 * kInline;
  while (capacity < needed) capacity *= 2;
  uint8_t* p = allocate(capacity);
  std::memcpy(p, local_, used_);
  heap_ = Heap{p, static_cast<uint32_t>(capacity)};
}

void RdataList::push_back(std::span<const uint8_t> rdata) {
  assert(rdata.size() <= 0xffff);
  const size_t needed = used_ + 2 + rdata.size();
  reserve_for(needed);
  // reserve_for left the buffer where `needed` octets belong (inline iff needed <= kInline).
  uint8_t* p = (needed > kInline ? heap_.ptr : local_) + used_;
  p[0] = static_cast<uint8_t>(rdata.size() >> 8);
  p[1] = static_cast<uint8_t>(rdata.size());
  if (!rdata.empty()) std::memcpy(p + 2, rdata.data(), rdata.size());
  used_ = static_cast<uint32_t>(needed);
  ++count_;
}

void RdataList::erase(size_t index) {
  assert(index < count_);
  uint8_t* base = data();
  const std::span<const uint8_t> rd = (*this)[index];
  uint8_t* start = const_cast<uint8_t*>(rd.data()) - 2;
  const size_t removed = 2 + rd.size();
  const size_t tail = static_cast<size_t>(base + used_ - (start + removed));
  std::memmove(start, start + removed, tail);
  const size_t remaining = used_ - removed;
  if (on_heap() && remaining <= kInline) {
    uint8_t* heap = heap_.ptr;
    std::memcpy(local_, heap, remaining);  // local_ overlays heap_, which we saved
    std::free(heap);
  }
  used_ = static_cast<uint32_t>(remaining);
  --count_;
}

}  // namespace dns
