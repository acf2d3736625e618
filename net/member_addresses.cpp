#include "net/member_addresses.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "net/error.h"

namespace net {

engine::Bytes encode_address_book(const AddressBook& book) {
  std::string text;
  for (const auto& [id, a] : book)
    text += fmt::format("{} {} {}\n", id, a.raft.to_string(), a.dns.to_string());
  return engine::Bytes(text.begin(), text.end());
}

AddressBook decode_address_book(engine::ByteView bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  AddressBook book;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    ++line_number;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      throw Error(fmt::format("address book line {}: no line end", line_number));
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    std::vector<std::string_view> fields;
    for (std::size_t pos = 0; pos <= line.size();) {
      std::size_t space = std::min(line.find(' ', pos), line.size());
      fields.push_back(line.substr(pos, space - pos));
      pos = space + 1;
    }
    if (fields.size() != 3)
      throw Error(
          fmt::format("address book line {}: expected '<id> <raft ip:port> <dns "
                      "ip:port>'",
                      line_number));
    engine::NodeId id = 0;
    if (fields[0].empty() || fields[0].size() > 19 ||
        !std::all_of(fields[0].begin(), fields[0].end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
      throw Error(fmt::format("address book line {}: node id is not a number", line_number));
    for (char c : fields[0]) id = id * 10 + static_cast<engine::NodeId>(c - '0');
    try {
      MemberAddresses a{ListenAddress::parse(fields[1]), ListenAddress::parse(fields[2])};
      if (!book.emplace(id, a).second) throw Error(fmt::format("node {} listed twice", id));
    } catch (const Error& e) {
      throw Error(fmt::format("address book line {}: {}", line_number, e.what()));
    }
  }
  return book;
}

namespace {
constexpr std::string_view kBookMagic = "RDNSBOOK";
}

engine::Bytes address_book_frame(const AddressBook& book) {
  engine::Bytes out(kBookMagic.begin(), kBookMagic.end());
  const engine::Bytes text = encode_address_book(book);
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

bool is_address_book_frame(engine::ByteView bytes) {
  return bytes.size() >= kBookMagic.size() &&
         std::equal(kBookMagic.begin(), kBookMagic.end(), bytes.begin());
}

AddressBook decode_address_book_frame(engine::ByteView bytes) {
  return decode_address_book(bytes.subspan(kBookMagic.size()));
}

AddressBook merge_member_books(AddressBook known, const engine::MemberSet& members,
                               std::vector<std::string>* warnings) {
  std::vector<std::pair<raft::Index, engine::NodeId>> order;
  for (const auto& [id, index] : members.added_at) order.emplace_back(index, id);
  std::sort(order.begin(), order.end());
  for (const auto& [index, id] : order) {
    auto context = members.context.find(id);
    if (context == members.context.end() || context->second.empty()) continue;
    try {
      for (const auto& [member, addresses] : decode_address_book(context->second))
        known[member] = addresses;
    } catch (const Error& e) {
      if (warnings)
        warnings->push_back(
            fmt::format("the change that added node {} carries no address book: {}", id, e.what()));
    }
  }
  return known;
}

PeerMembers peer_members(const AddressBook& book, const engine::MemberSet& members,
                         engine::NodeId self, std::vector<engine::NodeId>* missing) {
  PeerMembers out;
  auto take = [&](engine::NodeId id) {
    auto it = book.find(id);
    if (it != book.end())
      out[id] = {it->second.raft.address, it->second.raft.port};
    else if (id != self && missing)
      missing->push_back(id);
  };
  for (engine::NodeId id : members.membership.voters) take(id);
  for (engine::NodeId id : members.membership.learners) take(id);
  take(self);
  return out;
}

}  // namespace net
