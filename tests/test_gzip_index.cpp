// Indexed gzip (io/gzip_index.hpp): a written stream is one valid gzip stream for zlib's gzread,
// the member chain gives its length without inflating, random reads return the bytes written,
// and a truncated or corrupted file is an InputError (never a crash or a wrong byte).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/gzip_index.hpp"
#include "src/core/error.hpp"

namespace fs = std::filesystem;
using voxflow::InputError;
using voxflow::io::GzipIndex;
using voxflow::io::indexed_gzip;

namespace {

std::string temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("vf_gzidx_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}

void write_file(const std::string& p, const std::vector<unsigned char>& b) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
  std::fclose(f);
}

/// Image-like bytes: smooth int16 ramps plus noise (compressible, not trivially).
std::vector<unsigned char> sample(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i / 7) % 251 + (rng() % 4));
  return v;
}

std::vector<unsigned char> gunzip_all(const std::string& p) {
  gzFile g = gzopen(p.c_str(), "rb");
  std::vector<unsigned char> out, buf(1 << 16);
  int n = 0;
  while ((n = gzread(g, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
  gzclose(g);
  return out;
}

}  // namespace

TEST(GzipIndex, RoundTripAndRandomReads) {
  const std::string d = temp_dir();
  const std::vector<unsigned char> data = sample(1'000'003, 1);
  const std::size_t block = 65536;
  const std::vector<unsigned char> gz = indexed_gzip(data.data(), data.size(), "x", block);
  const std::string p = d + "/a.gz";
  write_file(p, gz);
  EXPECT_EQ(gunzip_all(p), data);  // one valid gzip stream (all members)

  auto idx = GzipIndex::open(p);
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->size(), static_cast<std::int64_t>(data.size()));
  EXPECT_EQ(idx->members().size(), (data.size() + block - 1) / block);
  std::mt19937 rng(7);
  for (int k = 0; k < 200; ++k) {
    const std::int64_t off = rng() % data.size();
    const std::int64_t n = 1 + rng() % 300000;
    std::vector<unsigned char> got(static_cast<std::size_t>(n), 0);
    const std::int64_t r = idx->read(off, n, got.data());
    ASSERT_EQ(r, std::min<std::int64_t>(n, static_cast<std::int64_t>(data.size()) - off));
    for (std::int64_t i = 0; i < r; ++i)
      ASSERT_EQ(got[static_cast<std::size_t>(i)], data[static_cast<std::size_t>(off + i)]) << "off " << off << " i " << i;
  }
  fs::remove_all(d);
}

TEST(GzipIndex, ConcatenatedPartsStayOneIndex) {
  // what write_nifti_map does on several ranks: each rank's members written one after another
  const std::string d = temp_dir();
  const std::vector<unsigned char> a = sample(300'000, 2), b = sample(123'457, 3);
  std::vector<unsigned char> gz = indexed_gzip(a.data(), a.size(), "x", 100'000);
  const std::vector<unsigned char> gb = indexed_gzip(b.data(), b.size(), "x", 100'000);
  gz.insert(gz.end(), gb.begin(), gb.end());
  const std::string p = d + "/ab.gz";
  write_file(p, gz);
  auto idx = GzipIndex::open(p);
  ASSERT_TRUE(idx);
  std::vector<unsigned char> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::vector<unsigned char> got(all.size());
  EXPECT_EQ(idx->read(0, static_cast<std::int64_t>(all.size()), got.data()), static_cast<std::int64_t>(all.size()));
  EXPECT_EQ(got, all);
  EXPECT_EQ(gunzip_all(p), all);
  fs::remove_all(d);
}

TEST(GzipIndex, ForeignGzipIsNotIndexed) {
  const std::string d = temp_dir();
  const std::string p = d + "/plain.gz";
  gzFile g = gzopen(p.c_str(), "wb");
  const std::vector<unsigned char> data = sample(10000, 4);
  gzwrite(g, data.data(), static_cast<unsigned>(data.size()));
  gzclose(g);
  EXPECT_EQ(GzipIndex::open(p), nullptr);
  write_file(d + "/short", {0x1f, 0x8b});
  EXPECT_EQ(GzipIndex::open(d + "/short"), nullptr);
  fs::remove_all(d);
}

TEST(GzipIndex, TruncatedAndCorruptFilesAreInputErrors) {
  const std::string d = temp_dir();
  const std::vector<unsigned char> data = sample(400'000, 5);
  const std::vector<unsigned char> gz = indexed_gzip(data.data(), data.size(), "x", 100'000);
  // cut at every 997th byte: the chain is broken (or, at a member boundary, shorter: then size() says so)
  for (std::size_t cut = 30; cut < gz.size(); cut += 997) {
    const std::string p = d + "/cut.gz";
    write_file(p, std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(cut)));
    try {
      auto idx = GzipIndex::open(p);
      ASSERT_TRUE(idx);
      EXPECT_LT(idx->size(), static_cast<std::int64_t>(data.size())) << "cut " << cut;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
  }
  // a flipped byte inside the deflate data: the index opens, the read of that member fails
  std::vector<unsigned char> bad = gz;
  bad[gz.size() / 2] ^= 0x5a;
  const std::string p = d + "/bad.gz";
  write_file(p, bad);
  bool thrown = false;
  try {
    auto idx = GzipIndex::open(p);
    if (idx) {
      std::vector<unsigned char> got(data.size());
      idx->read(0, static_cast<std::int64_t>(data.size()), got.data());
    }
  } catch (const InputError&) {
    thrown = true;
  }
  EXPECT_TRUE(thrown);
  // a member claiming an ISIZE its compressed bytes cannot hold is refused before any allocation
  std::vector<unsigned char> huge = indexed_gzip(data.data(), 1000, "x");
  huge[huge.size() - 1] = 0x7f;  // ISIZE ~ 2 GiB
  write_file(p, huge);
  EXPECT_THROW(GzipIndex::open(p), InputError);
  fs::remove_all(d);
}
