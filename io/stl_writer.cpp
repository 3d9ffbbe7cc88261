#include "io/stl_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

void write_stl_binary(const std::string& path, const std::vector<std::array<double, 3>>& v,
                      const std::vector<std::array<std::int64_t, 3>>& tris, const std::string& header) {
  if (tris.size() > 0xffffffffull) throw InputError("stl: too many triangles for binary STL");
  std::vector<unsigned char> buf(84 + 50 * tris.size(), 0);
  std::memcpy(buf.data(), header.data(), std::min<size_t>(80, header.size()));
  const std::uint32_t n = static_cast<std::uint32_t>(tris.size());
  static_assert(sizeof(float) == 4, "float32");
  auto put32 = [&](size_t off, std::uint32_t x) {
    for (int b = 0; b < 4; ++b) buf[off + static_cast<size_t>(b)] = static_cast<unsigned char>((x >> (8 * b)) & 0xff);
  };
  auto putf = [&](size_t off, double x) {
    const float f = static_cast<float>(x);
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    put32(off, u);
  };
  put32(80, n);
  for (size_t t = 0; t < tris.size(); ++t) {
    std::array<std::array<double, 3>, 3> p;
    for (int k = 0; k < 3; ++k) {
      const std::int64_t i = tris[t][static_cast<size_t>(k)];
      if (i < 0 || static_cast<size_t>(i) >= v.size()) throw InputError("stl: a triangle refers to a missing vertex");
      p[static_cast<size_t>(k)] = v[static_cast<size_t>(i)];
    }
    const double e1[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const double e2[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    double nn[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
    const double len = std::sqrt(nn[0] * nn[0] + nn[1] * nn[1] + nn[2] * nn[2]);
    for (double& x : nn) x = len > 0.0 ? x / len : 0.0;
    const size_t off = 84 + 50 * t;
    for (int k = 0; k < 3; ++k) putf(off + 4 * static_cast<size_t>(k), nn[k]);
    for (int q = 0; q < 3; ++q)
      for (int k = 0; k < 3; ++k) putf(off + 12 + 12 * static_cast<size_t>(q) + 4 * static_cast<size_t>(k), p[static_cast<size_t>(q)][static_cast<size_t>(k)]);
  }
  AtomicFile f(path);
  f.write(buf.data(), buf.size(), 0);
  f.commit();
}

}  // namespace voxflow::io
