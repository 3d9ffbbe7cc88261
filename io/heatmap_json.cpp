#include "io/heatmap_json.hpp"

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "src/core/error.hpp"

namespace voxflow::io {

Heatmap read_heatmap_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the JSON heatmap (missing or unreadable)");
  nlohmann::json doc;
  try {
    in >> doc;
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);  // drop "[json.exception...]"
    throw InputError(path + ": malformed JSON heatmap: " + what);
  }
  const nlohmann::json* rows = &doc;
  if (doc.is_object()) {
    auto it = doc.find("data");
    if (it == doc.end()) throw InputError(path + ": JSON heatmap has no \"data\" member (expected {\"data\": [[...], ...]})");
    rows = &*it;
  }
  if (!rows->is_array() || rows->empty())
    throw InputError(path + ": JSON heatmap \"data\" must be a non-empty array of rows");
  const std::size_t n_rows = rows->size();
  std::size_t n_cols = 0;
  std::vector<float> values;
  for (std::size_t r = 0; r < n_rows; ++r) {
    const auto& row = (*rows)[r];
    if (!row.is_array())
      throw InputError(path + ": JSON heatmap row " + std::to_string(r) + " is not an array of numbers");
    if (r == 0) {
      n_cols = row.size();
      if (n_cols == 0) throw InputError(path + ": JSON heatmap row 0 is empty");
      values.reserve(n_rows * n_cols);
    } else if (row.size() != n_cols) {
      throw InputError(path + ": JSON heatmap is ragged: row " + std::to_string(r) + " has " +
                       std::to_string(row.size()) + " values, row 0 has " + std::to_string(n_cols));
    }
    for (std::size_t c = 0; c < n_cols; ++c) {
      const auto& v = row[c];
      if (v.is_null()) values.push_back(std::numeric_limits<float>::quiet_NaN());
      else if (v.is_number()) values.push_back(v.get<float>());
      else
        throw InputError(path + ": JSON heatmap entry [" + std::to_string(r) + "][" + std::to_string(c) +
                         "] is not a number");
    }
  }
  return make_heatmap_2d(static_cast<std::int64_t>(n_rows), static_cast<std::int64_t>(n_cols), std::move(values), path);
}

}  // namespace voxflow::io
