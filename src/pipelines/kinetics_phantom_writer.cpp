// The kinetics phantom on disk: the generator (src/kinetics/phantom.hpp) through the same writers
// as every command (DICOM, NIfTI and NPY maps, atomic text files).
#include "src/pipelines/kinetics_phantom_writer.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/dicom_writer.hpp"
#include "io/nifti_writer.hpp"
#include "io/npy_writer.hpp"
#include "src/core/error.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {

void write_kinetics_phantom(const kinetics::PhantomSpec& spec, const std::string& dir, const Comm& comm) {
  if (spec.nx < 1 || spec.ny < 1 || spec.nz < 1 || spec.nt < 1 || !(spec.frame_interval_s > 0) || spec.noise_sigma < 0)
    throw UsageError("phantom: sizes must be >= 1, --frame-interval > 0 and --noise >= 0");
  const fs::path out = dir;
  Grid grid;
  grid.dims = {spec.nx, spec.ny, spec.nz};
  grid.nt = spec.nt;
  grid.spacing_mm = {0.5, 0.5, 1.0};
  // axial slices; DICOM position of voxel (0,0,0) = (-x0, -y0, -z0) LPS -> RAS (x0, y0, -z0)
  grid.affine = Grid::scaling_affine(grid.spacing_mm);
  grid.affine[0][0] = -0.5;  // RAS: LPS x axis points to -R
  grid.affine[1][1] = -0.5;
  grid.affine[0][3] = 0.25 * spec.nx;
  grid.affine[1][3] = 0.25 * spec.ny;
  grid.affine[2][3] = -0.5 * spec.nz;

  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    fs::create_directories(out / "truth", ec);
    if (ec) throw InputError("cannot create " + (out / "truth").string() + ": " + ec.message());
  });

  // the series (rank 0; the DICOM writer is serial): uint16 with RescaleSlope 0.1
  const double slope = 0.1;
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::vector<std::uint16_t> px(static_cast<size_t>(spec.nx) * spec.ny * spec.nz * spec.nt);
    size_t n = 0;
    for (int t = 0; t < spec.nt; ++t)
      for (int k = 0; k < spec.nz; ++k)
        for (int j = 0; j < spec.ny; ++j)
          for (int i = 0; i < spec.nx; ++i) {
            const double s = std::round(kinetics::phantom_signal(spec, i, j, k, t) / slope);
            px[n++] = static_cast<std::uint16_t>(std::min(65535.0, std::max(0.0, s)));
          }
    io::write_dicom_multiframe((out / "phantom.dcm").string(), grid, px, spec.frame_interval_s, slope, 0.0,
                               "voxflow PROXYL kinetics phantom");
    std::ostringstream ts;
    ts << "# frame times in seconds (frame k at k * " << spec.frame_interval_s << ")\n";
    for (int t = 0; t < spec.nt; ++t) ts << t * spec.frame_interval_s << "\n";
    io::write_text_atomic((out / "times_s.txt").string(), ts.str());
  });

  // the truth, distributed like every map
  Grid g3 = grid;
  g3.nt = 1;
  const Slab slab = make_slab(spec.nz, comm.rank(), comm.size());
  const char* names[8] = {"A0", "A1", "A2", "kb", "kd", "knt", "t0", "tmax"};
  const char* units[8] = {"a.u.", "a.u.", "a.u.", "1/min", "1/min", "1/min", "min", "min"};
  std::vector<Volume3D> truth;
  for (int q = 0; q < 8; ++q) truth.emplace_back(g3, slab, 0, names[q]);
  Volume3D region(g3, slab, 0, "region");
  {
    std::vector<decltype(Kokkos::create_mirror_view(region.data))> h;
    for (auto& v : truth) h.push_back(Kokkos::create_mirror_view(v.data));
    auto hr = Kokkos::create_mirror_view(region.data);
    for (std::int64_t k = 0; k < slab.nz; ++k)
      for (int j = 0; j < spec.ny; ++j)
        for (int i = 0; i < spec.nx; ++i) {
          double p[8];
          const int kg = static_cast<int>(slab.to_global(k));
          kinetics::phantom_truth(spec, i, j, kg, p);
          const auto idx = region.layout.index(i, j, k);
          for (int q = 0; q < 8; ++q) h[static_cast<size_t>(q)](idx) = static_cast<float>(p[q]);
          hr(idx) = static_cast<float>(kinetics::phantom_region(spec, i, j, kg));
        }
    for (int q = 0; q < 8; ++q) Kokkos::deep_copy(truth[static_cast<size_t>(q)].data, h[static_cast<size_t>(q)]);
    Kokkos::deep_copy(region.data, hr);
  }
  const io::NiftiReference ref{g3, ""};
  for (int q = 0; q < 8; ++q) {
    truth[static_cast<size_t>(q)].units = units[q];
    io::write_nifti_map((out / "truth" / (std::string(names[q]) + "_true.nii.gz")).string(), truth[static_cast<size_t>(q)],
                        ref, io::MapType::Float32, comm, std::string("phantom truth ") + names[q], units[q]);
    io::write_npy_map((out / "truth" / (std::string(names[q]) + "_true.npy")).string(), truth[static_cast<size_t>(q)], comm);
  }
  io::write_nifti_map((out / "truth" / "region.nii.gz").string(), region, ref, io::MapType::UInt8, comm,
                      "0 background, 1 muscle, 2 tumour", "");
}

}  // namespace voxflow::pipelines
