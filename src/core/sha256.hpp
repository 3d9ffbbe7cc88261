#pragma once
// SHA-256 (FIPS 180-4) of byte streams, for the checksums in an output folder's manifest.json.
#include <cstddef>
#include <cstdint>
#include <string>

namespace voxflow {

/// Incremental SHA-256: update() any number of times, then hex() (64 lowercase hex digits; the
/// object is finished after hex()). Formula and constants: FIPS PUB 180-4, section 6.2.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t bytes);
  std::string hex();

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t used_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace voxflow
