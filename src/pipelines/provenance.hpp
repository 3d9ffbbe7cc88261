#pragma once
// provenance.json: what produced an output folder, modelled on BIDS derivatives'
// dataset_description.json "GeneratedBy" (BIDS 1.9, "Derived dataset and pipeline description").
// Written beside every run summary (write_run_summary calls write_provenance), read back by
// `voxflow cohort` to decide whether a subject is up to date.
#include <map>
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"

namespace voxflow::pipelines {

/// What a run knows about itself when it writes its outputs.
struct ProvenanceRecord {
  std::string command;             // "kinetics", "tia", ...
  std::string command_line;        // the full command line
  std::string configuration_yaml;  // the effective options, as `--config` reads them back
  std::string output_dir;
  std::string state;               // complete | cancelled
  int mpi_ranks = 1;
  double wall_s = -1;              // the run's total seconds (< 0: from the process start)
  std::string file_prefix;         // written as <prefix>provenance.json (tia's io.prefix; "" for cohorts)
};

/// The file names of the provenance record and the cohort root's description.
inline constexpr const char* kProvenanceFile = "provenance.json";
inline constexpr const char* kDatasetDescriptionFile = "dataset_description.json";

/// The input files of a run: every string value of the effective configuration (any depth) that
/// names an existing file or folder, except under the keys output / output_dir / io.output_dir
/// and prefix. Sorted, unique.
std::vector<std::string> configuration_input_paths(const std::string& configuration_yaml);

/// provenance.json's text (JSON, 2-space indent):
///   GeneratedBy [{Name: voxflow, Version, CodeURL, Commit}], voxflow_version, git_commit,
///   build {type, compiler, kokkos_version, kokkos_backend, threads_per_rank, mpi_library, options},
///   command, command_line, state, effective_options (the configuration as JSON),
///   inputs [{path, sha256, bytes}] (a folder input: one entry per file in it),
///   start_utc, end_utc, wall_s (ISO 8601 UTC, seconds), host, slurm_job_id, slurm_nodelist,
///   mpi_ranks, and cohort {subject, key} when the environment has VOXFLOW_COHORT_SUBJECT /
///   VOXFLOW_COHORT_KEY (set by `voxflow cohort` for the runs it starts).
/// Throws InputError when an input cannot be read.
std::string provenance_json(const ProvenanceRecord& r);

/// Writes <output_dir>/<file_prefix>provenance.json atomically on rank 0; collective only through the error
/// check (a failure throws on every rank).
void write_provenance(const ProvenanceRecord& r, const Comm& comm);

/// A BIDS-derivatives-like dataset_description.json for a folder of derived outputs (the cohort
/// root): Name, BIDSVersion, DatasetType "derivative", GeneratedBy (as above).
std::string dataset_description_json(const std::string& name);

/// "2026-12-05T19:04:01Z" for seconds since the epoch.
std::string iso8601_utc(double epoch_s);

/// Seconds since the epoch, now.
double epoch_seconds_now();

}  // namespace voxflow::pipelines
