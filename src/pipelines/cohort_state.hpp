#pragma once
// Where each subject of a cohort stands, read from its output folders only (no scheduler polling):
//   OUT/<subject>/.cohort/<command>.json   written by `voxflow cohort` when a run starts and ends:
//       {subject, command, key, state: running|done|failed, exit_code, error, start_utc, end_utc,
//        host, pid, slurm_job_id}
//   OUT/<subject>/.cohort/<command>.err    the run's standard error (the error line comes from it)
//   OUT/<subject>/<command>/provenance.json  written by the run itself (src/pipelines/provenance.hpp)
// The cohort's own records stay outside the command's output folder, which holds one run's outputs.
#include <string>

#include "src/pipelines/cohort_manifest.hpp"

namespace voxflow::pipelines {

enum class CohortState { Pending, Running, Done, Failed, Stale };

/// "pending", "running", "done", "failed", "stale"
const char* cohort_state_name(CohortState s);

struct SubjectStatus {
  CohortState state = CohortState::Pending;
  std::string error;        // failed: the run's error line
  std::string detail;       // stale: what changed; running: job id / pid
  std::string start_utc, end_utc;
  std::string slurm_job_id;
  int exit_code = 0;
};

/// The cohort's record of the run into `out_dir` (OUT/<subject>/<command>) with the suffix `ext`
/// (".json", ".err", ".out"): OUT/<subject>/.cohort/<command><ext>.
std::string cohort_record_path(const std::string& out_dir, const std::string& ext);

/// The subject's state for the content key `key` (cohort_key()):
///   done     the summary says complete and provenance.json carries `key`;
///   stale    it finished, but with another key (inputs, options or version changed);
///   failed   the last run ended with an error (the error line of its .err record, else its exit code),
///            or a local run's process is gone without an end record;
///   running  a run started and has not ended (a requeued SLURM task stays running);
///   pending  nothing yet.
SubjectStatus cohort_subject_status(const std::string& out_dir, const CohortEntry& e, const std::string& key);

/// Before a run of `e` with `key` in `out_dir`: creates the records' folder, removes a checkpoint.h5 that
/// belongs to another key (or all of it with `force`), records state running. Returns true when the
/// run should resume (a checkpoint of this key is there).
bool cohort_task_begin(const std::string& out_dir, const CohortEntry& e, const std::string& key, bool force);

/// After the run: records done (exit 0) or failed with the error line and exit code.
void cohort_task_end(const std::string& out_dir, const CohortEntry& e, const std::string& key, int exit_code);

/// The last line of `path` that says "error" (voxflow's "voxflow: error: ..."), or "".
std::string last_error_line(const std::string& path);

}  // namespace voxflow::pipelines
