// A downstream program on the installed headers and library only: decomposes 9 planes over 2
// ranks, then runs the kinetics and TIA pipelines through libvoxflow on tiny built-in phantoms
// (what `voxflow kinetics` and `voxflow tia` do, without the executable) and checks their summaries.
// usage: consumer WORK_DIR   (prints "voxflow <version> slab z0=5 nz=4" first, exit 0 when all holds)
#include <cstdio>
#include <string>

#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"
#include "src/pipelines/kinetics_phantom_writer.hpp"
#include "src/pipelines/kinetics_pipeline.hpp"
#include "src/pipelines/tia_options.hpp"
#include "src/pipelines/tia_phantom_writer.hpp"
#include "src/pipelines/tia_pipeline.hpp"
#include "voxflow/version.hpp"

int main(int argc, char** argv) {
  voxflow::Runtime runtime(argc, argv);
  voxflow::Comm comm;
  const voxflow::Slab s = voxflow::make_slab(9, 1, 2);
  if (comm.is_root())
    std::printf("voxflow %s slab z0=%lld nz=%lld\n", voxflow::kVersion, static_cast<long long>(s.z0),
                static_cast<long long>(s.nz));
  if (s.z0 != 5 || s.nz != 4) return 1;
  if (argc < 2) return 0;
  const std::string work = argv[1];
  int failures = 0;
  try {
    // kinetics: a 12 x 10 x 3 x 40 phantom, every voxel fitted
    voxflow::kinetics::PhantomSpec ks;
    ks.nx = 12;
    ks.ny = 10;
    ks.nz = 3;
    ks.nt = 40;
    voxflow::pipelines::write_kinetics_phantom(ks, work + "/kphantom", comm);
    voxflow::pipelines::KineticsOptions ko;
    ko.dicom = work + "/kphantom/phantom.dcm";
    ko.output_dir = work + "/kinetics";
    ko.dicom_export = false;
    ko.progress = false;
    const voxflow::pipelines::RunSummary k = voxflow::pipelines::run_kinetics(ko, comm);
    const long long ok = k.status_counts.size() > 1 ? k.status_counts[1] : 0;
    if (comm.is_root())
      std::printf("kinetics: %s, %lld of %lld voxels fitted, %lld ok\n", k.state.c_str(), k.voxels_fitted, k.voxels_total, ok);
    if (k.state != "complete" || k.voxels_fitted != 12 * 10 * 3 || ok < k.voxels_fitted / 2) ++failures;

    // TIA: a 16^3 Lu-177 phantom with its ready-made configuration, a few bootstrap replicates
    voxflow::tia::TiaPhantomSpec ts = voxflow::tia::TiaPhantomSpec::cube(16);
    voxflow::pipelines::write_tia_phantom(ts, work + "/tphantom", comm);
    voxflow::pipelines::TiaOptions to;
    to.config = voxflow::tia::load_tia_config(work + "/tphantom/tia.yaml",
                                              {"io.output_dir=\"" + work + "/tia\"", "bootstrap.replicates=5"});
    to.progress = false;
    const voxflow::pipelines::RunSummary t = voxflow::pipelines::run_tia(to, comm);
    const long long tok = t.status_counts.size() > 1 ? t.status_counts[1] : 0;
    if (comm.is_root())
      std::printf("tia: %s, %lld voxels in the mask, %lld ok\n", t.state.c_str(), t.voxels_selected, tok);
    if (t.state != "complete" || t.voxels_selected < 100 || tok < t.voxels_selected / 2) ++failures;
  } catch (const voxflow::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
