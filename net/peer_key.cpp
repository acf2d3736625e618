#include "net/peer_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace net {

namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

constexpr const char* kHowToMakeOne = "dns-node --gen-key FILE writes one";

}  // namespace

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  wipe();
}

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

ClusterKey ClusterKey::parse(std::string_view text) {
  if (text.ends_with("\n")) text.remove_suffix(1);
  if (text.ends_with("\r")) text.remove_suffix(1);
  if (text.empty())
    throw Error(fmt::format("empty; expected one line of base64 ({})", kHowToMakeOne));
  if (text.find('\n') != std::string_view::npos)
    throw Error(fmt::format("more than one line; expected one line of base64 ({})", kHowToMakeOne));
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view body = text.substr(0, text.size() - padding);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (!is_base64_char(body[i]))
      throw Error(
          fmt::format("not base64 (character {} of the line); expected one line of "
                      "base64 ({})",
                      i + 1, kHowToMakeOne));
  }
  if (padding > 2 || text.size() % 4 != 0)
    throw Error(fmt::format("not base64 (bad length or padding); expected one line of base64 ({})",
                            kHowToMakeOne));
  std::vector<std::uint8_t> decoded(text.size() / 4 * 3);
  const int written =
      EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (written < 0 || static_cast<std::size_t>(written) < padding) {
    OPENSSL_cleanse(decoded.data(), decoded.size());
    throw Error(fmt::format("not base64; expected one line of base64 ({})", kHowToMakeOne));
  }
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  decoded.resize(static_cast<std::size_t>(written) - padding);
  SecretBytes secret(std::move(decoded));
  if (secret.size() < kMinClusterKeySize)
    throw Error(fmt::format("the key is {} bytes; at least {} are needed ({})", secret.size(),
                            kMinClusterKeySize, kHowToMakeOne));
  return ClusterKey(std::move(secret));
}

ClusterKey ClusterKey::generate() {
  std::vector<std::uint8_t> bytes(kGeneratedClusterKeySize);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw Error("cannot generate a key: OpenSSL's RAND_bytes failed");
  return ClusterKey(SecretBytes(std::move(bytes)));
}

std::string ClusterKey::to_base64() const {
  auto bytes = secret_.view();
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

ClusterKey read_cluster_key_file(const std::filesystem::path& path,
                                 std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(
        fmt::format("{}: cannot read the cluster key: {}", path.string(), std::strerror(errno)));
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  try {
    ClusterKey key = ClusterKey::parse(text);
    OPENSSL_cleanse(text.data(), text.size());
    struct stat info {};
    if (warnings && ::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0)
      warnings->push_back(
          fmt::format("{}: the cluster key is readable by other users (mode {:04o}; "
                      "chmod 600 it)",
                      path.string(), info.st_mode & 07777));
    return key;
  } catch (const Error& e) {
    OPENSSL_cleanse(text.data(), text.size());
    throw Error(fmt::format("{}: {}", path.string(), e.what()));
  }
}

void write_new_cluster_key_file(const std::filesystem::path& path) {
  const ClusterKey key = ClusterKey::generate();
  std::string line = key.to_base64() + "\n";
  // O_EXCL: never replace an existing key, and never follow a planted symlink.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    OPENSSL_cleanse(line.data(), line.size());
    if (error == EEXIST)
      throw Error(
          fmt::format("{}: already exists; a cluster key is never overwritten (remove it "
                      "first if you really mean to replace the cluster's key)",
                      path.string()));
    throw Error(fmt::format("{}: cannot create: {}", path.string(), std::strerror(error)));
  }
  // The umask may have narrowed the mode further, never widened it; make it exactly 0600.
  ::fchmod(fd, 0600);
  std::size_t done = 0;
  int error = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  OPENSSL_cleanse(line.data(), line.size());
  if (error != 0) {
    ::unlink(path.c_str());
    throw Error(fmt::format("{}: cannot write: {}", path.string(), std::strerror(error)));
  }
}

}  // namespace net
