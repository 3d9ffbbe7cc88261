#pragma once
// `voxflow cohort run` (local, without SLURM) and `voxflow cohort submit` (a SLURM job array and a
// collection job): idempotent processing of a cohort manifest (src/pipelines/cohort_manifest.hpp)
// into OUT/<subject>/<command>/, skipping every subject whose outputs carry its current content key.
#include <string>
#include <vector>

#include "src/pipelines/cohort_manifest.hpp"

namespace voxflow::pipelines {

struct CohortRunOptions {
  std::string out_root;
  int jobs = 1;                        // subjects at once
  bool force = false;                  // redo every subject
  std::vector<std::string> launcher;   // e.g. {"mpirun", "-np", "2"}; empty: one process per subject
  std::string voxflow;                 // the binary to run (default: this one)
};

struct CohortRunResult {
  int done = 0, skipped = 0, failed = 0;
};

/// Writes OUT/dataset_description.json (once), then runs every subject that is not done (or all
/// with `force`), `jobs` at a time, each as `launcher... voxflow <command> ... -o OUT/<subject>/<command>`
/// with VOXFLOW_COHORT_SUBJECT / VOXFLOW_COHORT_KEY in its environment and its standard error in
/// voxflow.err there; prints one line per subject ("<subject> <command>: done|skipped (up to date)|
/// failed: <error line>"). A failing subject does not stop the others. Throws InputError for an
/// unreadable input (before anything runs).
CohortRunResult cohort_run_local(const CohortManifest& m, const CohortRunOptions& o);

struct CohortSubmitOptions {
  std::string out_root;
  bool dry_run = false;                // print the sbatch lines only
  bool force = false;
  int throttle = 8;                    // --array=...%throttle
  int ntasks = 2, cpus_per_task = 1;   // ranks and Kokkos threads per subject
  std::string time_limit = "01:00:00";
  std::string partition, account;
  std::vector<std::string> sbatch_extra;  // more sbatch options for the array job
  std::string jobscripts;              // folder with cohort_array.sbatch and voxflow_step.sh
  std::string voxflow;                 // the binary the jobs run (default: this one)
};

/// The sbatch command lines (argv) of the array job (every subject that is not done, or all with
/// `force`) and of the collection job (--dependency=afterany:<array job id>, placeholder
/// "<array-job-id>"). Empty first entry when every subject is done.
std::vector<std::vector<std::string>> cohort_submit_commands(const CohortManifest& m, const CohortSubmitOptions& o);

/// Submits them (sbatch --parsable); returns the job ids (array, collection), or prints them with
/// dry_run. Throws InputError when sbatch fails (its message).
std::vector<std::string> cohort_submit(const CohortManifest& m, const CohortSubmitOptions& o);

/// The binary that runs now (/proc/self/exe).
std::string current_executable();

/// The folder of the jobscripts: VOXFLOW_JOBSCRIPTS, else <prefix>/share/voxflow/jobscripts beside an
/// installed binary, else the source tree's jobscripts/ (a build-tree binary).
std::string default_jobscripts_dir();

/// A shell word for `s` (single-quoted when needed).
std::string shell_quote(const std::string& s);

}  // namespace voxflow::pipelines
