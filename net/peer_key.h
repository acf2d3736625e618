#pragma once
// The cluster key: a secret shared by every member, with which peer links authenticate each
// other (see net/peer_auth.h). Kept in a file of one line, the base64 of at least 32 random
// bytes, named by the config's "cluster_key_file"; `dns-node --gen-key FILE` writes one.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io.h"
#include "net/error.h"

namespace net {

inline constexpr std::size_t kMinClusterKeySize = 32;
inline constexpr std::size_t kGeneratedClusterKeySize = 32;

// Secret bytes wiped from memory when destroyed (OPENSSL_cleanse), never printed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  engine::ByteView view() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  void wipe();
  std::vector<std::uint8_t> bytes_;
};

// The decoded cluster key.
class ClusterKey {
 public:
  // Parses the file's text: one line of standard base64 (with '=' padding), optionally
  // followed by a newline. Throws Error saying what is wrong, never quoting the key.
  static ClusterKey parse(std::string_view text);
  // A new key of kGeneratedClusterKeySize bytes from OpenSSL's RAND_bytes.
  static ClusterKey generate();

  engine::ByteView bytes() const { return secret_.view(); }
  std::string to_base64() const;

 private:
  explicit ClusterKey(SecretBytes secret) : secret_(std::move(secret)) {}
  SecretBytes secret_;
};

// Reads and parses a key file. Throws Error "FILE: ..." if it cannot be read or is not a key.
// `warnings` gets a line if the file is readable by group or others.
ClusterKey read_cluster_key_file(const std::filesystem::path& path,
                                 std::vector<std::string>* warnings = nullptr);

// Writes a new key to `path`, created with mode 0600; throws Error if it exists or cannot be
// written (a key is never overwritten: the cluster's members would stop trusting each other).
void write_new_cluster_key_file(const std::filesystem::path& path);

}  // namespace net
