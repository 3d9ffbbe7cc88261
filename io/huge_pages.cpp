// Transparent huge pages through glibc's malloc tunable (see huge_pages.hpp).
#include "io/huge_pages.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

namespace voxflow {
namespace {

/// The kernel's THP mode: the bracketed word of /sys/kernel/mm/transparent_hugepage/enabled.
std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(f, line)) return {};
  const auto a = line.find('['), b = line.find(']');
  return (a == std::string::npos || b == std::string::npos || b < a) ? std::string() : line.substr(a + 1, b - a - 1);
}

bool glibc_has_hugetlb_tunable() {
#if defined(__GLIBC__)
  int major = 0, minor = 0;
  if (std::sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2) return false;
  return major > 2 || (major == 2 && minor >= 35);
#else
  return false;
#endif
}

}  // namespace

void use_transparent_huge_pages(char** argv) {
  const char* opt = std::getenv("VOXFLOW_HUGE_PAGES");
  if (opt && !std::strcmp(opt, "0")) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string current = tunables ? tunables : "";
  if (current.find("glibc.malloc.hugetlb") != std::string::npos) return;
  if (!glibc_has_hugetlb_tunable() || thp_mode() != "madvise") return;
  const std::string next = current.empty() ? "glibc.malloc.hugetlb=1" : current + ":glibc.malloc.hugetlb=1";
  if (setenv("GLIBC_TUNABLES", next.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed: go on with normal pages, and leave the environment as it was
  if (tunables)
    setenv("GLIBC_TUNABLES", tunables, 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

bool transparent_huge_pages_requested() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (!tunables) return false;
  const std::string t = tunables;
  const auto at = t.rfind("glibc.malloc.hugetlb=");
  return at != std::string::npos && t.compare(at + 21, 1, "0") != 0;
}

}  // namespace voxflow
