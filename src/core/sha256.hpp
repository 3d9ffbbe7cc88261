#pragma once
// SHA-256 (FIPS 180-4) of bytes, incrementally, through OpenSSL's libcrypto (EVP interface): the content key of the cohort's idempotent reprocessing and the input
// digests of provenance.json. Not for secrets (no constant-time claims).
#include <cstddef>
#include <cstdint>
#include <string>

namespace voxflow {

class Sha256 {
 public:
  /// Throws InternalError when OpenSSL cannot make a digest context.
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  /// Appends `bytes` bytes at `data` to the message.
  void update(const void* data, std::size_t bytes);
  void update(const std::string& s) { update(s.data(), s.size()); }
  /// The digest of everything appended, as 64 lowercase hex digits; the object is spent after.
  std::string hex_digest();

 private:
  void* ctx_ = nullptr;  // OpenSSL's EVP_MD_CTX (kept out of this header)
};

/// SHA-256 of a string, 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

}  // namespace voxflow
