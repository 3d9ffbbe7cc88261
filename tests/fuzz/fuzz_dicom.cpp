// libFuzzer harness: the DICOM file path (io/dicom_reader.hpp: read_dicom_info, then read_dicom_4d
// of the whole image and of the second of two slabs with a halo, which runs the layout planning
// (io/dicom_layout.cpp) and the frame reader (io/dicom_frame_reader.cpp, DCMTK's decoders)) on
// arbitrary bytes. A voxflow::Error is the expected answer to bad input; any other exception, a
// crash, a sanitizer report, a hang or an allocation over -malloc_limit_mb is a finding.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstdlib>

#include "io/dicom_reader.hpp"
#include "src/core/error.hpp"
#include "src/core/slab.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Kokkos::initialize();
  std::atexit([] { Kokkos::finalize(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = voxflow::fuzz::write_input(data, size, ".dcm");
  try {
    const voxflow::io::DicomReadOptions opt;
    const voxflow::io::ImageInfo info = voxflow::io::read_dicom_info(path, opt);
    const std::int64_t nz = info.grid.nz();
    (void)voxflow::io::read_dicom_4d(path, voxflow::make_slab(nz, 0, 1), 0, opt);
    (void)voxflow::io::read_dicom_4d(path, voxflow::make_slab(nz, 1, 2), 1, opt);
  } catch (const voxflow::Error&) {
  }
  return 0;
}
