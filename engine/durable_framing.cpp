#include "engine/durable_framing.h"

#include <fmt/core.h>

#include "engine/crc32.h"

namespace engine {

std::uint32_t frame_checksum(ByteView data) {
  return crc32(data);
}

Bytes frame_file(std::uint8_t version, ByteView payload) {
  Bytes out;
  out.reserve(kFileFrameHeader + payload.size());
  raft::ByteWriter w(out);
  w.u8(version);
  w.u32(crc32(payload));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

UnframedFile unframe_file(std::uint8_t version, const Bytes& file) {
  if (file.size() < kFileFrameHeader)
    return {std::nullopt, fmt::format("{} bytes is too short for the {}-byte header at byte 0",
                                      file.size(), kFileFrameHeader)};
  if (file[0] != version)
    return {std::nullopt, fmt::format("byte 0: format version {} is not supported", file[0])};
  ByteView payload(file.data() + kFileFrameHeader, file.size() - kFileFrameHeader);
  raft::ByteReader r(ByteView(file.data() + 1, 4));
  if (r.u32("crc") != crc32(payload))
    return {std::nullopt,
            fmt::format("checksum mismatch: bytes {}..{} do not match the checksum at bytes 1..4",
                        kFileFrameHeader, file.size() - 1)};
  return {payload, {}};
}

std::optional<ByteView> record_at(const Bytes& file, std::size_t offset, std::uint32_t max_length) {
  if (offset > file.size() || file.size() - offset < kRecordFrameHeader) return std::nullopt;
  raft::ByteReader head(ByteView(file.data() + offset, kRecordFrameHeader));
  const std::uint32_t len = head.u32("record.length");
  const std::uint32_t crc = head.u32("record.crc");
  if (len == 0 || len > max_length || len > file.size() - offset - kRecordFrameHeader)
    return std::nullopt;
  ByteView payload(file.data() + offset + kRecordFrameHeader, len);
  if (crc32(payload) != crc) return std::nullopt;
  return payload;
}

std::optional<std::size_t> next_valid_record(const Bytes& file, std::size_t offset,
                                             std::uint32_t max_length) {
  for (std::size_t at = offset + 1; at + kRecordFrameHeader < file.size(); ++at)
    if (record_at(file, at, max_length)) return at;
  return std::nullopt;
}

std::string record_problem(const Bytes& file, std::size_t offset, std::uint32_t max_length) {
  if (offset > file.size() || file.size() - offset < kRecordFrameHeader)
    return fmt::format("{}-byte header cut short", kRecordFrameHeader);
  raft::ByteReader head(ByteView(file.data() + offset, 4));
  const std::uint32_t len = head.u32("record.length");
  if (len == 0 || len > max_length) return fmt::format("length {}", len);
  if (len > file.size() - offset - kRecordFrameHeader)
    return fmt::format("length {} runs past the end of the file", len);
  return "checksum mismatch";
}

}  // namespace engine
