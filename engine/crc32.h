#pragma once
// CRC-32 (IEEE 802.3, as zlib computes it) of a byte range: the checksum the durable files use to
// tell a torn or damaged record from a whole one.

#include <cstdint>

#include "engine/io.h"

namespace engine {

std::uint32_t crc32(ByteView data);

}  // namespace engine
