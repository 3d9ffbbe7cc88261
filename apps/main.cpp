// voxflow: the executable. Dispatches to sub-commands; turns errors into one line and an exit
// code (2 bad input/usage, 1 internal, 130 cancelled) on every rank, never a hang.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>

#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "voxflow/version.hpp"

namespace {

std::string g_command_line;

void usage(std::FILE* out) {
  std::fprintf(out,
               "voxflow %s: quantitative imaging maps with MPI + Kokkos\n"
               "usage: voxflow <command> [options]   (voxflow <command> --help for its options)\n"
               "commands:\n"
               "  kinetics   voxel-wise PROXYL extended-model kinetic maps (kb, kd, knt, ...)\n"
               "  tia        voxel-wise time-integrated activity (TIA) maps from SPECT/PET time points\n"
               "  tia-roi    per-label TIA summary (roi_summary.csv, roi_tacs.csv, bar chart)\n"
               "  overlay    a heatmap (JSON, CSV, binary, NPY, NIfTI, HDF5) over a DICOM/NIfTI image, as PNG\n"
               "  vessel     centerline of a contrast-filled vessel between two clicks on a CTA (Frangi + fast marching)\n"
               "  vessel-phantom  write the CTA-like coronary phantom with its true centerline and clicks\n"
               "  cohort     run / submit (SLURM) / status / collect a cohort manifest, skipping what is up to date\n"
               "  phantom    write a built-in reference object with its truth (kinetics DICOM; --tia: SPECT TIA)\n"
               "  info       dimensions, time points, spacing, affine, datatype, range of an image\n"
               "  version    print the version\n",
               voxflow::kVersion);
}

}  // namespace

namespace voxflow::apps {
const std::string& command_line() { return g_command_line; }
void set_command_line(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i) g_command_line += ' ';
    g_command_line += argv[i];
  }
}
}  // namespace voxflow::apps

int main(int argc, char** argv) {
  using namespace voxflow;
  apps::set_command_line(argc, argv);
  // cohort starts other voxflow runs (mpirun, sbatch): no MPI in this process
  if (argc >= 2 && !std::strcmp(argv[1], "cohort")) return apps::cohort_main(apps::Args(argv + 2, argv + argc));
  Runtime runtime(argc, argv);
  Comm comm;
  int rc = 0;
  try {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
      if (comm.is_root()) usage(argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    apps::Args args(argv + 2, argv + argc);
    static const std::map<std::string, int (*)(const apps::Args&, const Comm&)> table = {
        {"info", apps::cmd_info}, {"phantom", apps::cmd_phantom}, {"kinetics", apps::cmd_kinetics},
        {"overlay", apps::cmd_overlay},
        {"tia", apps::cmd_tia}, {"tia-roi", apps::cmd_tia_roi},
        {"vessel", apps::cmd_vessel}, {"vessel-phantom", apps::cmd_vessel_phantom}};
    if (cmd == "version" || cmd == "--version") {
      if (comm.is_root()) std::printf("voxflow %s\n", kVersion);
      return 0;
    }
    auto it = table.find(cmd);
    if (it == table.end()) throw UsageError("unknown command '" + cmd + "' (try: voxflow --help)");
    rc = it->second(args, comm);
  } catch (const PeerFailure& e) {
    rc = e.exit_code();  // the failing rank printed the line
  } catch (const UsageError& e) {
    // the same on every rank: say it once
    if (comm.is_root()) std::fprintf(stderr, "voxflow: error: %s\n", e.what());
    rc = e.exit_code();
  } catch (const Error& e) {
    std::fprintf(stderr, "voxflow: error: %s\n", e.what());
    rc = e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "voxflow: internal error: %s\n", e.what());
    std::fflush(stderr);
    // an unexpected exception may leave other ranks inside a collective: end them all
    if (comm.size() > 1) abort_all("voxflow: aborting all ranks", 1);
    rc = 1;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  return rc;
}
