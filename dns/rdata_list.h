#pragma once
// dns::RdataList: the rdatas of one RRset packed into one buffer, so that a stored record costs
// its octets plus two, not two vectors and their allocations.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace dns {

// The rdatas of one RRset in insertion order, each stored as a 16-bit length and its octets in
// one buffer. Up to kInline octets (one AAAA, or up to three A) live inside the object itself;
// larger sets take one heap block. Iteration yields std::span<const uint8_t>.
class RdataList {
 public:
  static constexpr size_t kInline = 24;

  // Forward iterator over the rdatas (each dereferences to a span into the buffer).
  class const_iterator {
   public:
    using value_type = std::span<const uint8_t>;
    using difference_type = std::ptrdiff_t;
    const_iterator() = default;
    explicit const_iterator(const uint8_t* p) : p_(p) {}
    std::span<const uint8_t> operator*() const { return {p_ + 2, length()}; }
    const_iterator& operator++() {
      p_ += 2 + length();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& other) const { return p_ == other.p_; }

   private:
    size_t length() const { return (size_t{p_[0]} << 8) | p_[1]; }
    const uint8_t* p_ = nullptr;
  };

  RdataList() = default;
  RdataList(const RdataList& other);
  RdataList(RdataList&& other) noexcept;
  RdataList& operator=(const RdataList& other);
  RdataList& operator=(RdataList&& other) noexcept;
  ~RdataList() { release(); }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t octets() const { return used_; }  // stored bytes, including the 2-octet lengths
  const_iterator begin() const { return const_iterator(data()); }
  const_iterator end() const { return const_iterator(data() + used_); }
  std::span<const uint8_t> front() const { return *begin(); }
  std::span<const uint8_t> operator[](size_t index) const;

  // Appends one rdata (at most 65535 octets, as on the wire).
  void push_back(std::span<const uint8_t> rdata);
  void erase(size_t index);
  // The octets of rdata `index`, writable in place (same length).
  std::span<uint8_t> mutable_at(size_t index);

 private:
  bool on_heap() const { return used_ > kInline; }
  const uint8_t* data() const { return on_heap() ? heap_.ptr : local_; }
  uint8_t* data() { return on_heap() ? heap_.ptr : local_; }
  void release();
  // Makes room for `needed` octets in total, moving to the heap when past kInline.
  void reserve_for(size_t needed);

  uint32_t used_ = 0;   // octets in use; > kInline exactly when the buffer is on the heap
  uint32_t count_ = 0;  // rdatas
  struct Heap {
    uint8_t* ptr;
    uint32_t capacity;
  };
  union {
    uint8_t local_[kInline];
    Heap heap_;
  };
};

}  // namespace dns
