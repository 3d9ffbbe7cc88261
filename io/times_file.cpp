#include "io/times_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "src/core/error.hpp"

namespace voxflow::io {

std::vector<double> read_times_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read time file " + path);
  std::vector<double> v;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (auto c = line.find('#'); c != std::string::npos) line.resize(c);
    for (char& ch : line)
      if (ch == ',' || ch == ';' || ch == '\t') ch = ' ';
    std::istringstream ls(line);
    std::string tok;
    while (ls >> tok) {
      try {
        size_t used = 0;
        double x = std::stod(tok, &used);
        if (used != tok.size()) throw std::invalid_argument(tok);
        v.push_back(x);
      } catch (const std::exception&) {
        throw InputError("time file " + path + " line " + std::to_string(lineno) + ": '" + tok + "' is not a number");
      }
    }
  }
  if (v.empty()) throw InputError("time file " + path + " holds no times");
  return v;
}

}  // namespace voxflow::io
