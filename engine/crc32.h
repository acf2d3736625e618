#pragma once
// CRC-32 (IEEE 802.3, as zlib computes it) of a byte range: the checksum the durable files use to
// tell a torn or damaged record from a whole one.

#include <cstdint>

#include "engine/io.h"

namespace engine {

std::uint32_t crc32(ByteView data);
// The CRC-32 of a byte range that continues one whose CRC-32 is `crc`: crc32(a + b) ==
// crc32_extend(crc32(a), b), so a checksum can run over data that arrives (or is read) in pieces.
std::uint32_t crc32_extend(std::uint32_t crc, ByteView data);

}  // namespace engine
