// voxflow: the executable. Dispatches to sub-commands; turns errors into one line and an exit
// code (2 bad input/usage, 1 internal, 130 cancelled by Ctrl+C, 75 checkpointed on SIGUSR1/SIGTERM)
// on every rank, never a hang.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>

#include "apps/commands.hpp"
#include "io/huge_pages.hpp"
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

/// One mechanism for every failure that reaches main (docs/design.md "Failure semantics"): the
/// ranks that failed, and those that learned of a failure through an agreement (PeerFailure), try
/// to agree within a few seconds; when every rank came, the lowest failing rank prints its one
/// line and every rank returns its exit code. When some rank did not come (the failure was on
/// some ranks only, and the others may wait in a collective), this rank prints its line and ends
/// the job with MPI_Abort and its exit code, so no rank hangs until the time limit.
int end_failed(const voxflow::Comm& comm, const std::string& what, int code, bool peer) {
  using namespace voxflow;
  if (comm.size() > 1) {
    int lowest = -1, agreed = 0;
    if (agree_on_failure_within(comm, !peer, code, kFailureAgreementTimeoutS, lowest, agreed)) {
      if (!peer && lowest == comm.rank()) std::fprintf(stderr, "voxflow: error: %s\n", what.c_str());
      std::fflush(stdout);
      std::fflush(stderr);
      return agreed;
    }
    fail_all_ranks(peer ? std::string() : what, code);
  }
  if (!peer) std::fprintf(stderr, "voxflow: error: %s\n", what.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  return code;
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
  use_transparent_huge_pages(argv);  // re-executes once, before anything else runs
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
    return end_failed(comm, "", e.exit_code(), true);  // the failing rank prints the line
  } catch (const Error& e) {
    return end_failed(comm, e.what(), e.exit_code(), false);
  } catch (const std::exception& e) {
    return end_failed(comm, std::string("internal error: ") + e.what(), 1, false);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  return rc;
}
