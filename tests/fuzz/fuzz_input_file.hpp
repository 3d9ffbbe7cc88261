#pragma once
// libFuzzer harness support: the readers take a path, so each input is written to one temporary
// file per process (under $TMPDIR), rewritten for every input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace voxflow::fuzz {

inline const std::string& input_path(const char* suffix) {
  static const std::string p = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/voxflow-fuzz-" + std::to_string(::getpid()) + suffix;
  }();
  return p;
}

/// Writes the input to the process's temporary file and returns its path.
inline const std::string& write_input(const std::uint8_t* data, std::size_t size, const char* suffix) {
  const std::string& p = input_path(suffix);
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return p;
}

}  // namespace voxflow::fuzz
