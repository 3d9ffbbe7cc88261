// libFuzzer harness: read_heatmap_csv (io/heatmap_csv.hpp) on arbitrary bytes. A voxflow::Error (InputError: one clear
// line) is the expected answer to bad input; any other exception, a crash, a sanitizer report or
// an allocation over libFuzzer's -malloc_limit_mb is a finding. Run by tests/fuzz/run_fuzz.sh.
#include <cstdint>
#include <cstdlib>

#include "io/heatmap_csv.hpp"
#include "src/core/error.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = voxflow::fuzz::write_input(data, size, ".csv");
  try {
    (void)voxflow::io::read_heatmap_csv(path);
  } catch (const voxflow::Error&) {
  }
  return 0;
}
