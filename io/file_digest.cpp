#include "io/file_digest.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "src/core/error.hpp"
#include "src/core/sha256.hpp"

namespace fs = std::filesystem;

namespace voxflow::io {

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read (to compute its SHA-256)");
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) h.update(buf.data(), static_cast<std::size_t>(n));
  }
  if (in.bad()) throw InputError(path + ": read error (while computing its SHA-256)");
  return h.hex_digest();
}

std::vector<std::pair<std::string, std::string>> sha256_files(const std::string& path) {
  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> out;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file()) files.push_back(e.path().string());
    if (ec) throw InputError(path + ": cannot list (" + ec.message() + ")");
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.emplace_back(f, sha256_file(f));
    return out;
  }
  if (!fs::exists(path, ec)) throw InputError(path + ": no such file or folder");
  out.emplace_back(path, sha256_file(path));
  return out;
}

}  // namespace voxflow::io
