// Vessel benchmark (issue 11): the CTA phantom of src/vessel on this run's ranks, then each stage
// timed (max over ranks, after a barrier): phantom, Frangi (scales 1, 2, 3 voxels), speed, fast
// marching with early stop at the end click, fast marching of the whole volume (what scikit-fmm
// computes), backtracking + centerline; then the default path of voxflow vessel: Frangi block
// by block where the front goes, inside the early-stopped march. Prints "key value" lines; with an output folder, rank 0
// also writes the phantom and the speed map as raw float32 (x fastest) for the python baselines
// of bench/run_vessel_benchmark.sh. Figures only, never pass/fail.
//   mpirun -np N bench_vessel NX NY NZ [OUT_DIR]
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "io/huge_pages.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/plane_gather.hpp"
#include "src/filters/frangi.hpp"
#include "src/vessel/backtrack.hpp"
#include "src/vessel/centerline.hpp"
#include "src/vessel/fast_marching.hpp"
#include "src/vessel/lazy_speed.hpp"
#include "src/vessel/speed.hpp"
#include "src/vessel/vessel_phantom.hpp"

using namespace voxflow;

namespace {

double now(const Comm& comm) {
  comm.barrier();
  return MPI_Wtime();
}

void write_raw(const Volume3D& v, const std::string& path, const Comm& comm) {
  std::ofstream f;
  if (comm.is_root()) f.open(path, std::ios::binary);
  for (std::int64_t z = 0; z < v.layout.grid.nz(); ++z) {
    const std::vector<float> p = gather_plane(v, z, comm);
    if (comm.is_root()) f.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size() * 4));
  }
}

}  // namespace

int main(int argc, char** argv) {
  voxflow::use_transparent_huge_pages(argv);  // as the voxflow executable does
  Runtime rt(argc, argv);
  Comm comm;
  if (argc < 4) {
    if (comm.is_root()) std::fprintf(stderr, "usage: bench_vessel NX NY NZ [OUT_DIR]\n");
    return 2;
  }
  try {
    vessel::VesselPhantomOptions po;
    po.dims = {std::atoll(argv[1]), std::atoll(argv[2]), std::atoll(argv[3])};
    const std::string out = argc > 4 ? argv[4] : "";
    double t0 = now(comm);
    const auto truth = vessel::vessel_phantom_truth(po);
    const Volume3D img = vessel::vessel_phantom_volume(truth, po, make_slab(po.dims[2], comm.rank(), comm.size()));
    double t1 = now(comm);
    const double t_phantom = t1 - t0;
    const filters::FrangiResult fr = filters::frangi_vesselness(img, filters::FrangiOptions{}, comm);
    double t2 = now(comm);
    const Volume3D speed = vessel::speed_from_vesselness(fr.vesselness, vessel::SpeedOptions{}, comm);
    double t3 = now(comm);
    vessel::FastMarchingOptions mo;
    mo.stop_at_end = true;
    mo.end_voxel = truth.end_voxel;
    const auto fmm = vessel::fast_marching(speed, truth.start_voxel, mo, comm);
    double t4 = now(comm);
    const auto full = vessel::fast_marching(speed, truth.start_voxel, vessel::FastMarchingOptions{}, comm);
    double t5 = now(comm);
    const auto bt = vessel::backtrack(fmm, truth.start_voxel, truth.end_voxel, {}, comm);
    std::vector<vessel::Point3> mm;
    for (const auto& p : bt.path_vox) mm.push_back(vessel::voxel_to_world(truth.grid.affine, p));
    auto line = vessel::smooth_and_resample(mm, {});
    vessel::attach_radius_from_scale(line, fr.best_sigma, comm);
    double t6 = now(comm);
    // what voxflow vessel does by default: vesselness only in the blocks the front reaches
    vessel::LazyVesselnessSpeed lz(img, filters::FrangiOptions{}, vessel::SpeedOptions{}, comm);
    lz.set_reference({truth.start_voxel, truth.end_voxel}, 8, comm);
    const auto lazy = vessel::fast_marching(lz, truth.start_voxel, mo, comm);
    double t7 = now(comm);
    const double t_lazy_frangi = comm.max(lz.seconds_in_frangi());
    const long long lazy_voxels = comm.sum(static_cast<long long>(lz.voxels_computed()));
    if (!out.empty()) {
      write_raw(img, out + "/phantom.raw", comm);
      write_raw(speed, out + "/speed.raw", comm);
    }
    if (comm.is_root()) {
      const double nvox = double(truth.grid.n_voxels());
      std::printf("ranks %d\nvoxels %.0f\n", comm.size(), nvox);
      std::printf("start_voxel %lld %lld %lld\n", (long long)truth.start_voxel[0], (long long)truth.start_voxel[1],
                  (long long)truth.start_voxel[2]);
      std::printf("spacing_mm %.6g\n", po.spacing_mm);
      std::printf("t_phantom %.4f\nt_frangi %.4f\nt_speed %.4f\nt_fmm_early_stop %.4f\nt_fmm_full %.4f\n"
                  "t_backtrack_centerline %.4f\n",
                  t_phantom, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5);
      std::printf("fmm_early_rounds %lld\nfmm_early_marched %lld\nfmm_full_rounds %lld\nfmm_full_marched %lld\n"
                  "fmm_full_reached %lld\n",
                  (long long)fmm.rounds, (long long)fmm.voxels_marched, (long long)full.rounds,
                  (long long)full.voxels_marched, (long long)full.voxels_reached);
      std::printf("t_lazy_frangi_and_fmm %.4f\nt_lazy_frangi %.4f\nlazy_voxels_computed %lld\nlazy_end_time %.9g\n",
                  t7 - t6, t_lazy_frangi, lazy_voxels, lazy.end_time);
      std::printf("centerline_samples %zu\ncenterline_length_mm %.2f\n", line.points_mm.size(), line.length_mm());
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_vessel: %s\n", e.what());
    return e.exit_code();
  }
  return 0;
}
