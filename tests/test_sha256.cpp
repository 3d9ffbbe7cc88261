// SHA-256 (src/core/sha256.hpp, io/file_digest.hpp) against the FIPS 180-4 example vectors
// (NIST CSRC "Examples with intermediate values", SHA-256) and sha256sum.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/file_digest.hpp"
#include "src/core/error.hpp"
#include "src/core/sha256.hpp"

namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(voxflow::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(voxflow::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(voxflow::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  voxflow::Sha256 h;  // one million 'a', fed in uneven pieces
  const std::string a(2000, 'a');
  long long left = 1000000;
  for (size_t piece = 1; left > 0; piece = piece % 997 + 7) {
    const long long n = std::min<long long>(left, static_cast<long long>(piece));
    h.update(a.data(), static_cast<size_t>(n));
    left -= n;
  }
  EXPECT_EQ(h.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55, 56, 63, 64, 65 bytes: the length field fits in the last block or needs one more
  for (size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u}) {
    const std::string s(n, 'x');
    voxflow::Sha256 h;
    h.update(s.substr(0, n / 3));
    h.update(s.substr(n / 3));
    EXPECT_EQ(h.hex_digest(), voxflow::sha256_hex(s)) << n;
  }
}

TEST(Sha256, FileMatchesSha256sum) {
  const auto dir = std::filesystem::temp_directory_path() / ("vf_sha_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::string data;
  for (int i = 0; i < 300000; ++i) data += static_cast<char>((i * 7919) & 0xff);
  std::ofstream(dir / "sub" / "b.bin", std::ios::binary) << data;
  std::ofstream(dir / "a.txt") << "abc";
  const auto files = voxflow::io::sha256_files(dir.string());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].first, (dir / "a.txt").string());
  EXPECT_EQ(files[0].second, voxflow::sha256_hex("abc"));
  std::string expected;
  if (FILE* p = popen(("sha256sum " + (dir / "sub" / "b.bin").string()).c_str(), "r")) {
    char buf[128] = {0};
    if (std::fgets(buf, sizeof buf, p)) expected.assign(buf, 64);
    pclose(p);
  }
  EXPECT_EQ(files[1].second, expected);
  EXPECT_THROW(voxflow::io::sha256_files((dir / "missing").string()), voxflow::InputError);
  std::filesystem::remove_all(dir);
}

}  // namespace
