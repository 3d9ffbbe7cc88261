// Indexed gzip members (see gzip_index.hpp). Member layout, RFC 1952 §2.3:
//   1f 8b 08 04 | MTIME 0 | XFL 0 | OS 3 | XLEN 12 | 'V' 'X' LEN 8 | member length (u64 LE)
//   raw deflate data | CRC-32 (u32 LE) | ISIZE (u32 LE)
#include "io/gzip_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "src/core/error.hpp"

namespace voxflow::io {
namespace {

constexpr std::size_t kHeader = 24;   // fixed header with the one extra subfield
constexpr std::size_t kTrailer = 8;   // CRC-32 + ISIZE
constexpr std::int64_t kMaxMember = std::int64_t{64} << 20;
// the first 16 header bytes of an indexed member (ID1 ID2 CM FLG=FEXTRA, MTIME, XFL, OS, XLEN, 'V' 'X', LEN)
constexpr unsigned char kFixedHeader[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 12, 0, 'V', 'X', 8, 0};

void put_le(unsigned char* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint64_t get_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// true when h (kHeader bytes) is the header of an indexed member; sets its length.
bool parse_header(const unsigned char* h, std::int64_t& clen) {
  if (std::memcmp(h, kFixedHeader, 4) != 0 || std::memcmp(h + 10, kFixedHeader + 10, 6) != 0) return false;
  const std::uint64_t v = get_le(h + 16, 8);
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return false;
  clen = static_cast<std::int64_t>(v);
  return true;
}

/// pread of exactly n bytes; false on a short read.
bool pread_all(int fd, unsigned char* dst, std::size_t n, std::int64_t off) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, dst, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    dst += r;
    off += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::vector<unsigned char> indexed_gzip(const unsigned char* data, std::size_t bytes, const std::string& path,
                                        std::size_t block) {
  if (block == 0 || block > static_cast<std::size_t>(kMaxMember)) throw InternalError(path + ": indexed_gzip block size");
  z_stream zs{};
  if (deflateInit2(&zs, kIndexedGzipLevel, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw InternalError(path + ": deflateInit2 failed");
  std::vector<unsigned char> out;
  const std::size_t n_members = (bytes + block - 1) / block;
  out.reserve(n_members * (kHeader + kTrailer) + bytes / 2 + 64);
  for (std::size_t at = 0; at < bytes; at += block) {
    const std::size_t n = std::min(block, bytes - at);
    const std::size_t start = out.size();
    const std::size_t bound = deflateBound(&zs, static_cast<uLong>(n));
    out.resize(start + kHeader + bound + kTrailer);
    unsigned char* h = out.data() + start;
    std::memcpy(h, kFixedHeader, sizeof kFixedHeader);
    zs.next_in = const_cast<Bytef*>(data + at);
    zs.avail_in = static_cast<uInt>(n);
    zs.next_out = h + kHeader;
    zs.avail_out = static_cast<uInt>(bound);
    const int rc = deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
      deflateEnd(&zs);
      throw InternalError(path + ": deflate failed");
    }
    const std::size_t comp = bound - zs.avail_out;
    deflateReset(&zs);
    const std::size_t clen = kHeader + comp + kTrailer;
    put_le(h + 16, clen, 8);
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), data + at, static_cast<uInt>(n));
    put_le(h + kHeader + comp, crc, 4);
    put_le(h + kHeader + comp + 4, n, 4);
    out.resize(start + clen);
  }
  deflateEnd(&zs);
  return out;
}

GzipIndex::GzipIndex(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

GzipIndex::~GzipIndex() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<GzipIndex> GzipIndex::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::unique_ptr<GzipIndex> idx(new GzipIndex(path, fd));
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw InputError(path + ": cannot stat (" + std::strerror(errno) + ")");
  const std::int64_t fsize = static_cast<std::int64_t>(st.st_size);
  unsigned char h[kHeader];
  std::int64_t clen = 0;
  if (fsize < static_cast<std::int64_t>(kHeader) || !pread_all(fd, h, kHeader, 0) || !parse_header(h, clen))
    return nullptr;  // not an indexed gzip: the caller streams it
  std::int64_t at = 0, uoff = 0;
  while (at < fsize) {
    if (fsize - at < static_cast<std::int64_t>(kHeader) || !pread_all(fd, h, kHeader, at))
      throw InputError(path + ": truncated NIfTI file: a gzip member header is cut at byte " + std::to_string(at));
    if (!parse_header(h, clen) || clen < static_cast<std::int64_t>(kHeader + kTrailer))
      throw InputError(path + ": corrupt compressed data: no indexed gzip member at byte " + std::to_string(at));
    if (clen > fsize - at)
      throw InputError(path + ": truncated NIfTI file: the gzip member at byte " + std::to_string(at) + " needs " +
                       std::to_string(clen) + " bytes, the file has " + std::to_string(fsize - at) + " left");
    unsigned char t[4];
    if (!pread_all(fd, t, 4, at + clen - 4))
      throw InputError(path + ": cannot read the gzip member at byte " + std::to_string(at));
    const std::int64_t ulen = static_cast<std::int64_t>(get_le(t, 4));
    if (ulen > kMaxMember || ulen > 1032 * clen)
      throw InputError(path + ": corrupt compressed data: the gzip member at byte " + std::to_string(at) + " claims " +
                       std::to_string(ulen) + " bytes");
    idx->members_.push_back({at, clen, uoff, ulen});
    at += clen;
    uoff += ulen;
  }
  idx->size_ = uoff;
  return idx;
}

void GzipIndex::inflate_member(std::size_t k) {
  if (cached_ == k) return;
  const Member& m = members_[k];
  comp_.resize(static_cast<std::size_t>(m.clen));
  cache_.resize(static_cast<std::size_t>(m.ulen) + 1);  // one spare byte: an overlong member is seen
  cached_ = static_cast<std::size_t>(-1);
  if (!pread_all(fd_, comp_.data(), comp_.size(), m.coff))
    throw InputError(path_ + ": cannot read the gzip member at byte " + std::to_string(m.coff));
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw InternalError(path_ + ": inflateInit2 failed");
  zs.next_in = comp_.data();
  zs.avail_in = static_cast<uInt>(comp_.size());
  zs.next_out = cache_.data();
  zs.avail_out = static_cast<uInt>(cache_.size());
  const int rc = inflate(&zs, Z_FINISH);  // checks the CRC-32 and ISIZE of the trailer
  const bool ok = rc == Z_STREAM_END && zs.avail_in == 0 && static_cast<std::int64_t>(zs.total_out) == m.ulen;
  inflateEnd(&zs);
  if (!ok)
    throw InputError(path_ + ": corrupt compressed data in the gzip member at byte " + std::to_string(m.coff));
  cached_ = k;
}

std::int64_t GzipIndex::read(std::int64_t off, std::int64_t n, unsigned char* dst) {
  if (off < 0 || n <= 0 || off >= size_) return 0;
  n = std::min(n, size_ - off);
  // first member holding `off` (members are sorted by uoff)
  auto it = std::upper_bound(members_.begin(), members_.end(), off,
                             [](std::int64_t o, const Member& m) { return o < m.uoff; });
  std::size_t k = static_cast<std::size_t>(std::distance(members_.begin(), it)) - 1;
  std::int64_t done = 0;
  while (done < n && k < members_.size()) {
    const Member& m = members_[k];
    if (m.ulen > 0) {
      inflate_member(k);
      const std::int64_t from = off + done - m.uoff;
      const std::int64_t take = std::min(n - done, m.ulen - from);
      std::memcpy(dst + done, cache_.data() + from, static_cast<std::size_t>(take));
      done += take;
    }
    ++k;
  }
  return done;
}

}  // namespace voxflow::io
