// libFuzzer harness: the NIfTI header and data path (io/nifti_reader.hpp: read_nifti_info, then
// read_nifti_4d / read_nifti_3d of the whole volume and of the second of two slabs with a halo, so
// that plain files, gzip streams and indexed gzip members (io/gzip_index.hpp) are read at offsets)
// on arbitrary bytes. A voxflow::Error is the expected answer to bad input; any other exception, a
// crash, a sanitizer report, a hang or an allocation over -malloc_limit_mb is a finding.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstdlib>

#include "io/nifti_reader.hpp"
#include "src/core/error.hpp"
#include "src/core/slab.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Kokkos::initialize();
  std::atexit([] { Kokkos::finalize(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = voxflow::fuzz::write_input(data, size, ".nii");
  try {
    const voxflow::io::ImageInfo info = voxflow::io::read_nifti_info(path);
    const std::int64_t nz = info.grid.nz();
    (void)voxflow::io::read_nifti_4d(path, voxflow::make_slab(nz, 0, 1), 0);
    (void)voxflow::io::read_nifti_4d(path, voxflow::make_slab(nz, 1, 2), 1);
    if (info.grid.nt == 1) (void)voxflow::io::read_nifti_3d(path, voxflow::make_slab(nz, 0, 2), 1);
  } catch (const voxflow::Error&) {
  }
  return 0;
}
