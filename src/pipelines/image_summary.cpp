#include "src/pipelines/image_summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/slab.hpp"

namespace voxflow::pipelines {

ImageSummary describe_image(const std::string& path, int slices, bool with_range, const Comm& comm) {
  ImageSummary s;
  io::DicomReadOptions dopt;
  dopt.slices = slices;
  collective_check(comm, [&] { s.format = io::detect_format(path); });
  if (s.format == io::ImageFormat::Hdf5) {
    collective_check(comm, [&] { s.h5 = io::read_h5_info(path); });
    return s;
  }
  s.info = io::read_image_info(path, s.format, dopt, comm);  // collective: a DICOM folder is scanned by rank 0 only
  if (!with_range) return s;
  const Slab slab = make_slab(s.info.grid.nz(), comm.rank(), comm.size());
  Volume4D v;
  v = io::read_image_4d(path, s.format, slab, 0, dopt, comm);  // collective: agrees on failures itself
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  long long non_finite = 0;
  for (size_t i = 0; i < h.extent(0); ++i)
    for (size_t t = 0; t < h.extent(1); ++t) {
      const double x = h(i, t);
      if (!std::isfinite(x)) {
        ++non_finite;
        continue;
      }
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  s.has_range = true;
  s.min = comm.min(lo);
  s.max = comm.max(hi);
  s.non_finite = comm.sum(non_finite);
  return s;
}

}  // namespace voxflow::pipelines
