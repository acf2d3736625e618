#include "engine/crc32.h"

#include <boost/crc.hpp>

namespace engine {

std::uint32_t crc32(ByteView data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

}  // namespace engine
