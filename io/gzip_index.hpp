#pragma once
// Indexed gzip: a gzip stream (RFC 1952) cut into members of at most kIndexedGzipBlock
// uncompressed bytes, each member's header carrying its own compressed length in an extra field
// (FEXTRA subfield "VX", 8 bytes little-endian), the idea of BGZF (SAM/BAM specification §4.1)
// with a 64-bit length. The file stays one valid gzip stream (zlib's gzread, nifti_clib, nibabel
// and Python's gzip read it whole), and a reader can hop from member to member reading 24 + 4
// bytes of each, so that an MPI rank inflates only the members that hold its planes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace voxflow::io {

/// Uncompressed bytes per member written by indexed_gzip (1 MiB: the 32 KiB deflate window makes
/// the size cost of the cut below 0.1 % on image data).
constexpr std::size_t kIndexedGzipBlock = std::size_t{1} << 20;

/// Deflate level of indexed_gzip: 1 (zlib's fastest), as voxflow's HDF5 maps. On the 25
/// kinetics maps of the built-in phantom (14.3 MB of float32) level 1 gives 12.50 MB in 0.39 s,
/// zlib's default 6 gives 12.40 MB in 0.54 s (0.8 % smaller, 1.4x the time; docs/design.md).
constexpr int kIndexedGzipLevel = 1;

/// `bytes` bytes at `data` as a sequence of indexed gzip members (deflate kIndexedGzipLevel),
/// each of at most `block` uncompressed bytes (block > 0). Empty input gives no member. Throws
/// InternalError (naming `path`) when zlib fails.
std::vector<unsigned char> indexed_gzip(const unsigned char* data, std::size_t bytes, const std::string& path,
                                        std::size_t block = kIndexedGzipBlock);

/// Random access to the uncompressed stream of an indexed gzip file.
class GzipIndex {
 public:
  struct Member {
    std::int64_t coff = 0;  // byte offset of the member in the file
    std::int64_t clen = 0;  // its compressed length (header + deflate data + trailer)
    std::int64_t uoff = 0;  // offset of its first byte in the uncompressed stream
    std::int64_t ulen = 0;  // its uncompressed length (the trailer's ISIZE)
  };

  /// The index of `path` when its first member carries the "VX" field; nullptr for any other
  /// file (a gzip written by another tool: read it as a stream). Reads 28 bytes per member, inflates
  /// nothing. Throws InputError naming the path when the chain of members is broken: a member
  /// header that is not an indexed member, a length that runs past the end of the file (a
  /// truncated file) or an ISIZE that its compressed length cannot hold (more than 1032 x clen,
  /// RFC 1951's bound) or above 64 MiB.
  static std::unique_ptr<GzipIndex> open(const std::string& path);
  ~GzipIndex();
  GzipIndex(const GzipIndex&) = delete;
  GzipIndex& operator=(const GzipIndex&) = delete;

  /// Length of the uncompressed stream (sum of the members' ISIZE).
  std::int64_t size() const { return size_; }
  const std::vector<Member>& members() const { return members_; }

  /// Copies the uncompressed bytes [off, off + n) into dst, inflating only the members they lie
  /// in (the last inflated member is kept, so ascending reads inflate each member once). Returns
  /// the bytes copied: fewer than n only where the stream ends. Throws InputError naming the path
  /// for a member whose data is corrupt (inflate error, CRC-32 or ISIZE mismatch).
  std::int64_t read(std::int64_t off, std::int64_t n, unsigned char* dst);

 private:
  GzipIndex(std::string path, int fd);
  void inflate_member(std::size_t k);

  std::string path_;
  int fd_ = -1;
  std::vector<Member> members_;
  std::int64_t size_ = 0;
  std::size_t cached_ = static_cast<std::size_t>(-1);
  std::vector<unsigned char> cache_, comp_;
};

}  // namespace voxflow::io
