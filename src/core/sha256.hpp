#pragma once
// SHA-256 (FIPS 180-4, "Secure Hash Standard", NIST 2015, sections 4.1.2, 4.2.2, 5.1.1, 6.2) of
// bytes, incrementally: the content key of the cohort's idempotent reprocessing and the input
// digests of provenance.json. Not for secrets (no constant-time claims).
#include <cstddef>
#include <cstdint>
#include <string>

namespace voxflow {

class Sha256 {
 public:
  Sha256();
  /// Appends `bytes` bytes at `data` to the message.
  void update(const void* data, std::size_t bytes);
  void update(const std::string& s) { update(s.data(), s.size()); }
  /// The digest of everything appended, as 64 lowercase hex digits; the object is spent after.
  std::string hex_digest();

 private:
  void block(const unsigned char* p);
  std::uint32_t h_[8];
  unsigned char buf_[64];
  std::size_t fill_ = 0;
  std::uint64_t bits_ = 0;
};

/// SHA-256 of a string, 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

}  // namespace voxflow
