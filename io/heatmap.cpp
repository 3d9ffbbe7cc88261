#include "io/heatmap.hpp"

#include "src/core/error.hpp"

namespace voxflow::io {

Heatmap make_heatmap_2d(std::int64_t rows, std::int64_t cols, std::vector<float> values, const std::string& source) {
  if (rows < 1 || cols < 1 || values.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw InputError(source + ": heatmap of " + std::to_string(rows) + " x " + std::to_string(cols) + " has " +
                     std::to_string(values.size()) + " values");
  Heatmap h;
  h.dims = {cols, rows, 1};
  h.values = std::move(values);
  h.grid.dims = h.dims;
  h.source = source;
  return h;
}

}  // namespace voxflow::io
