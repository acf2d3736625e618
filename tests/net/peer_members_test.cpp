// PeerTransport following membership changes (set_members, messages waiting for a member not
// yet known, a joining node admitting unknown peers) and the address book a change carries.

#include <gtest/gtest.h>

#include "net/error.h"
#include "net/member_addresses.h"
#include "net/peer_transport.h"
#include "tests/net/peer_test_support.h"

namespace net {
namespace {

using namespace net::testing;

TEST(PeerMembers, ANodeAddedBySetMembersGetsTheMessagesThatWaitedForIt) {
  asio::io_context io;
  PeerMembers all = members_on_loopback(3);
  PeerMembers first_two = {{1, all.at(1)}, {2, all.at(2)}};
  TestNode a, b, c;
  a.start(io, 1, first_two);
  b.start(io, 2, first_two);
  a.transport->send(3, message("early"));  // raft appended the change; not applied yet
  c.start(io, 3, {{3, all.at(3)}});
  c.transport->admit_unknown_peers(true);  // --join: it knows nobody yet
  a.transport->set_members(all);
  a.transport->send(3, message("late"));
  ASSERT_TRUE(run_until(io, [&] { return c.received.size() == 2; })) << dump(a) << dump(c);
  EXPECT_EQ(c.from(1), (std::vector<std::string>{"early", "late"}));
  // Removing node 2 closes the link to it; nothing more is sent there.
  a.transport->set_members({{1, all.at(1)}, {3, all.at(3)}});
  EXPECT_FALSE(a.transport->stats().peers.contains(2));
  EXPECT_EQ(a.count_logged("node 2 is no longer a member"), 1) << dump(a);
}

TEST(PeerMembers, AnUnknownPeerIsRefusedUnlessJoining) {
  asio::io_context io;
  PeerMembers all = members_on_loopback(2);
  TestNode a, b;
  a.start(io, 1, all);
  b.start(io, 2, {{2, all.at(2)}});  // knows only itself, not joining
  a.transport->send(2, message("hello"));
  run_until(io, [&] { return b.count_logged("unknown node id 1") > 0; });
  EXPECT_TRUE(b.received.empty());
  b.transport->admit_unknown_peers(true);
  ASSERT_TRUE(run_until(io, [&] { return b.received.size() >= 1; })) << dump(b);
}

TEST(AddressBook, RoundTripsAndRefusesGarbage) {
  AddressBook book;
  book[0] = {ListenAddress::parse("127.0.0.1:7000"), ListenAddress::parse("127.0.0.1:53")};
  book[12] = {ListenAddress::parse("[::1]:7012"), ListenAddress::parse("[::1]:5312")};
  EXPECT_EQ(decode_address_book(encode_address_book(book)), book);
  const engine::Bytes frame = address_book_frame(book);
  EXPECT_TRUE(is_address_book_frame(frame));
  EXPECT_EQ(decode_address_book_frame(frame), book);
  EXPECT_FALSE(is_address_book_frame(engine::Bytes{1, 2, 3}));
  for (std::string bad : {"0 127.0.0.1:7000 127.0.0.1:53", "x 127.0.0.1:7000 127.0.0.1:53\n",
                          "0 127.0.0.1 127.0.0.1:53\n", "0 127.0.0.1:7000\n",
                          "0 1.1.1.1:1 1.1.1.1:2\n0 1.1.1.1:1 1.1.1.1:2\n"}) {
    EXPECT_THROW(decode_address_book(engine::Bytes(bad.begin(), bad.end())), Error) << bad;
  }
}

TEST(AddressBook, MembersLearnAddressesFromTheChangesThatAddedThem) {
  AddressBook config;
  config[0] = {ListenAddress::parse("127.0.0.1:7000"), ListenAddress::parse("127.0.0.1:5300")};
  AddressBook carried = config;
  carried[1] = {ListenAddress::parse("127.0.0.1:7001"), ListenAddress::parse("127.0.0.1:5301")};
  carried[3] = {ListenAddress::parse("127.0.0.1:7003"), ListenAddress::parse("127.0.0.1:5303")};
  engine::MemberSet members;
  members.membership = *raft::make_membership({0, 1}, {3});
  members.added_at[3] = 9;
  members.context[3] = encode_address_book(carried);
  std::vector<std::string> warnings;
  // A joiner knows only itself (3); the book of the change that added it names the others.
  AddressBook own;
  own[3] = carried[3];
  const AddressBook book = merge_member_books(own, members, &warnings);
  EXPECT_TRUE(warnings.empty());
  std::vector<engine::NodeId> missing;
  const PeerMembers peers = peer_members(book, members, 3, &missing);
  EXPECT_TRUE(missing.empty());
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers.at(1).port(), 7001);
  // A context that is no book is named, and the member without an address is listed.
  members.context[3] = {'?'};
  const AddressBook partial = merge_member_books(config, members, &warnings);
  EXPECT_EQ(warnings.size(), 1u);
  peer_members(partial, members, 0, &missing);
  EXPECT_EQ(missing, (std::vector<engine::NodeId>{1, 3}));
}

}  // namespace
}  // namespace net
