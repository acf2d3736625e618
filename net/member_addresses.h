#pragma once
// The cluster's address book as it travels in an ADD-NODE ConfChange's context: every member's
// raft and DNS address as the proposing leader knows them, the new node's included. A node that
// joins knows only its own addresses; it learns the others' from the book of the change that
// added it (R's member set keeps each added member's context, engine/member_set.h), and every
// member learns the new node's from the same book.

#include <map>

#include "engine/io.h"
#include "engine/member_set.h"
#include "net/listen_address.h"
#include "net/peer_context.h"

namespace net {

// One member's addresses.
struct MemberAddresses {
  ListenAddress raft;
  ListenAddress dns;
  friend bool operator==(const MemberAddresses& a, const MemberAddresses& b) {
    return a.raft.address == b.raft.address && a.raft.port == b.raft.port &&
           a.dns.address == b.dns.address && a.dns.port == b.dns.port;
  }
};
using AddressBook = std::map<engine::NodeId, MemberAddresses>;

// Text, one member per line: "<id> <raft ip:port> <dns ip:port>\n", ascending ids.
engine::Bytes encode_address_book(const AddressBook& book);
// Throws net::Error naming the line and field on anything else.
AddressBook decode_address_book(engine::ByteView bytes);

// A peer frame carrying an address book, sent by the leader to its learners (a node started
// with --join knows no peer, so without it its replies to the leader would have nowhere to
// go until the leader's snapshot reached it). Starts with a magic no raft message starts with.
engine::Bytes address_book_frame(const AddressBook& book);
bool is_address_book_frame(engine::ByteView bytes);
// Throws net::Error on a malformed book (the magic is checked by is_address_book_frame).
AddressBook decode_address_book_frame(engine::ByteView bytes);

// `known` (from the config file and earlier changes) updated with the books of the members'
// ConfChange contexts, oldest change first; a context that is no address book is skipped and
// named in `warnings`.
AddressBook merge_member_books(AddressBook known, const engine::MemberSet& members,
                               std::vector<std::string>* warnings);

// The raft addresses of the members of `members` found in `book`, and `self`'s own; ids with
// no known address are listed in `missing`.
PeerMembers peer_members(const AddressBook& book, const engine::MemberSet& members,
                         engine::NodeId self, std::vector<engine::NodeId>* missing);

}  // namespace net
