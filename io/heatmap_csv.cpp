#include "io/heatmap_csv.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::io {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

Heatmap read_heatmap_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the CSV heatmap (missing or unreadable)");
  std::vector<float> values;
  std::int64_t rows = 0, cols = 0;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> fields;
    std::size_t p = 0;
    while (true) {
      const std::size_t c = t.find(',', p);
      fields.push_back(trim(t.substr(p, c == std::string::npos ? std::string::npos : c - p)));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    if (fields.size() > 1 && fields.back().empty()) fields.pop_back();  // trailing comma
    if (rows == 0) cols = static_cast<std::int64_t>(fields.size());
    else if (static_cast<std::int64_t>(fields.size()) != cols)
      throw InputError(path + ": ragged CSV heatmap: line " + std::to_string(line_no) + " has " +
                       std::to_string(fields.size()) + " values, the first row " + std::to_string(cols));
    for (const std::string& f : fields) {
      if (f.empty()) {
        values.push_back(std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      char* end = nullptr;
      const double v = std::strtod(f.c_str(), &end);
      if (end == f.c_str() || *end != '\0')
        throw InputError(path + ": CSV heatmap line " + std::to_string(line_no) + ": '" + f + "' is not a number");
      values.push_back(static_cast<float>(v));
    }
    ++rows;
  }
  if (rows == 0) throw InputError(path + ": CSV heatmap has no rows of numbers");
  return make_heatmap_2d(rows, cols, std::move(values), path);
}

}  // namespace voxflow::io
