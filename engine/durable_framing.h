#pragma once
// The two framings of the engine's durable files, shared by the raft log store and the local
// datastore: whole files written with Disk::replace() ([u8 version][u32 crc32][payload]) and
// append-only logs of records ([u32 length][u32 crc32][payload]) whose torn tail a checksum
// tells from whole records.

#include <cstdint>
#include <optional>
#include <string>

#include "engine/io.h"
#include "raft/codec.h"

namespace engine {

inline constexpr std::size_t kFileFrameHeader = 5;    // u8 version + u32 crc32 of the rest
inline constexpr std::size_t kRecordFrameHeader = 8;  // u32 length + u32 crc32

Bytes frame_file(std::uint8_t version, ByteView payload);
// The payload of a framed file, or why it is not one, naming the bytes ("byte 0: format version 7
// is not supported", "checksum mismatch: bytes 5..90 do not match the checksum at bytes 1..4").
// Files written with replace() cannot be torn by a crash, so callers report these as damage.
struct UnframedFile {
  std::optional<ByteView> payload;
  std::string problem;
};
UnframedFile unframe_file(std::uint8_t version, const Bytes& file);

// [length][crc][kind][body written by write_body].
Bytes frame_record(std::uint8_t kind, auto&& write_body);
// The same record appended to `out`: the body is written in place, not built apart and copied
// (a checkpoint frames thousands of journal and WAL records; the copies were a tenth of a
// follower's engine thread under an UPDATE load).
void append_record(Bytes& out, std::uint8_t kind, auto&& write_body);

// The payload of the complete, checksum-valid record at `offset` (at most max_length bytes), or
// nullopt if there is none: the end of the file or a torn tail.
std::optional<ByteView> record_at(const Bytes& file, std::size_t offset,
                                  std::uint32_t max_length = UINT32_MAX);

// The first byte position after `offset` at which a complete, checksum-valid record starts, or
// nullopt. Every position is tried, since a damaged length field hides where the next record
// begins. A crash only tears the end of an append-only log, so when record_at(offset) fails and
// a valid record follows, the damage is not a torn tail.
std::optional<std::size_t> next_valid_record(const Bytes& file, std::size_t offset,
                                             std::uint32_t max_length = UINT32_MAX);

// Why there is no valid record at `offset` ("checksum mismatch", "length 0", "length 70000
// runs past the end of the file", "8-byte header cut short"), for error messages.
std::string record_problem(const Bytes& file, std::size_t offset,
                           std::uint32_t max_length = UINT32_MAX);

std::uint32_t frame_checksum(ByteView data);

void append_record(Bytes& out, std::uint8_t kind, auto&& write_body) {
  const std::size_t header = out.size();
  out.resize(header + kRecordFrameHeader);
  raft::ByteWriter w(out);
  w.u8(kind);
  write_body(w);
  const ByteView payload(out.data() + header + kRecordFrameHeader,
                         out.size() - header - kRecordFrameHeader);
  const std::uint32_t fields[2] = {static_cast<std::uint32_t>(payload.size()),
                                   frame_checksum(payload)};
  for (int f = 0; f < 2; ++f)
    for (int i = 0; i < 4; ++i)
      out[header + 4 * f + i] = static_cast<std::uint8_t>(fields[f] >> (8 * i));
}

Bytes frame_record(std::uint8_t kind, auto&& write_body) {
  Bytes out;
  append_record(out, kind, write_body);
  return out;
}

}  // namespace engine
