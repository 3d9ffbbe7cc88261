#include "io/heatmap_binary.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "src/core/error.hpp"

namespace voxflow::io {

Heatmap read_heatmap_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the binary heatmap (missing or unreadable)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8)
    throw InputError(path + ": binary heatmap is " + std::to_string(bytes.size()) +
                     " bytes, shorter than its 8-byte header (u32 rows, u32 cols)");
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    return v;
  };
  const std::uint64_t rows = u32(0), cols = u32(4);
  if (rows == 0 || cols == 0)
    throw InputError(path + ": binary heatmap header says " + std::to_string(rows) + " x " + std::to_string(cols));
  const std::uint64_t want = 8 + 4 * rows * cols;
  if (bytes.size() != want)
    throw InputError(path + ": binary heatmap header says " + std::to_string(rows) + " x " + std::to_string(cols) +
                     " (" + std::to_string(want) + " bytes with the header) but the file is " +
                     std::to_string(bytes.size()) + " bytes");
  std::vector<float> values(rows * cols);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint32_t bits = u32(8 + 4 * i);
    std::memcpy(&values[i], &bits, 4);
  }
  return make_heatmap_2d(static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols), std::move(values), path);
}

}  // namespace voxflow::io
