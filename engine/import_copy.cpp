#include "engine/import_copy.h"

#include <fmt/core.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "engine/crc32.h"
#include "engine/record_codec.h"
#include "engine/snapshot_file.h"
#include "raft/codec.h"

namespace engine {
namespace {

// Bytes of encoded records gathered before they are hashed and written.
constexpr std::size_t kPiece = std::size_t{1} << 20;

// SHA-256 over data that arrives in pieces.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("import digest: OpenSSL could not start a SHA-256");
  }
  void update(ByteView data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
      throw std::runtime_error("import digest: SHA-256 update failed");
  }
  std::array<std::uint8_t, 32> finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) != 1 || n != out.size())
      throw std::runtime_error("import digest: SHA-256 final failed");
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// Encodes the records of `adds` a piece at a time and hands each piece to `sink`.
template <typename Sink>
void for_each_piece(const std::vector<dns::Change>& adds, Sink&& sink) {
  Bytes piece;
  piece.reserve(kPiece + 1024);
  raft::ByteWriter w(piece);
  for (const dns::Change& c : adds) {
    put_record(w, c.record);
    if (piece.size() >= kPiece) {
      sink(ByteView(piece));
      piece.clear();
    }
  }
  if (!piece.empty()) sink(ByteView(piece));
}

}  // namespace

ImportDigest import_digest(const std::vector<dns::Change>& adds) {
  Sha256 sha;
  for_each_piece(adds, [&](ByteView piece) { sha.update(piece); });
  return ImportDigest{adds.size(), sha.finish()};
}

ImportDigest write_import_file(Disk& disk, const std::vector<dns::Change>& adds) {
  if (adds.size() > 0xFFFFFFFFu)
    throw std::invalid_argument(fmt::format("import: {} records do not fit one file", adds.size()));
  const auto count = static_cast<std::uint32_t>(adds.size());
  disk.replace(kImportPartFile, Bytes(kSnapshotHeaderBytes, 0));
  Sha256 sha;
  std::uint32_t crc = snapshot_checksum_start(0, count);
  for_each_piece(adds, [&](ByteView piece) {
    sha.update(piece);
    crc = crc32_extend(crc, piece);
    disk.append(kImportPartFile, piece);
  });
  disk.write_at(kImportPartFile, 0, snapshot_file_header(0, count, crc));
  disk.sync(kImportPartFile);
  disk.rename(kImportPartFile, kImportFile);
  return ImportDigest{adds.size(), sha.finish()};
}

std::optional<std::vector<dns::Change>> read_import_file(const Disk& disk) {
  if (!disk.read_range(kImportFile, 0, 1)) return std::nullopt;
  std::vector<dns::Change> adds;
  for_each_snapshot_record(disk, kImportFile, [&](const dns::Record& r) {
    adds.push_back({dns::Change::Add, r});
  });
  return adds;
}

std::string describe(const ImportDigest& digest) {
  std::string hex;
  for (std::size_t i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest.sha256[i]);
  return fmt::format("{} records, sha256 {}...", digest.records, hex);
}

}  // namespace engine
