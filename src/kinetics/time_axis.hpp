#pragma once
// The time axis of a kinetic series, in minutes (the unit the PROXYL model's rates use).
#include <string>
#include <vector>

namespace voxflow::kinetics {

/// Where the frame times came from, for the summary.
struct TimeAxis {
  std::vector<double> t_min;  // per frame after trimming at the injection index, minutes
  std::vector<double> all_t_min;  // every frame of the series, minutes
  int injection_index = 0;        // first frame kept
  std::string source;             // "DICOM tags", "--frame-interval 70 s", "--times FILE"
};

/// Build the time axis for nt frames: an explicit --times list (seconds) wins, then
/// --frame-interval (seconds, frame k at k * interval), then the file's own frame times
/// (seconds from the first frame). times_file_values empty / frame_interval_s <= 0 mean "not
/// given". The series is trimmed to start at injection_index (the original's meaning: the fit
/// uses time[injection_idx:], times not re-zeroed).
/// Throws InputError when no time axis is known, when a --times list has a length other than nt,
/// when the times are not strictly increasing or not finite, or when injection_index is outside
/// [0, nt).
TimeAxis make_time_axis(int nt, const std::vector<double>& file_times_s, double frame_interval_s,
                        const std::vector<double>& times_file_values, const std::string& times_file_name,
                        int injection_index);

}  // namespace voxflow::kinetics
