#pragma once
// `voxflow cohort status` and `voxflow cohort collect`: the cohort table from the outputs.
#include <string>

#include "src/pipelines/cohort_manifest.hpp"

namespace voxflow::pipelines {

/// One line per subject "<subject> <command> <state> [detail or error line]" and a count line.
std::string cohort_status_text(const CohortManifest& m, const std::string& out_root);

/// Writes OUT/cohort.csv (atomically) and returns its row count. Columns:
///   subject, command, status (done|failed|stale|running|pending), error (the error line of a failed
///   subject), start_utc, end_utc, wall_s, voxels_selected, voxels_per_second (fit stage, from the
///   summary), status_counts ("name=voxels;..."), map_means ("map=mean;..." over all voxels, from
///   slice_statistics.csv where the command writes one), output_dir.
int cohort_collect(const CohortManifest& m, const std::string& out_root);

}  // namespace voxflow::pipelines
