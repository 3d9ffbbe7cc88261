#include "src/kinetics/time_axis.hpp"

#include <cmath>
#include <sstream>

#include "src/core/error.hpp"

namespace voxflow::kinetics {

TimeAxis make_time_axis(int nt, const std::vector<double>& file_times_s, double frame_interval_s,
                        const std::vector<double>& times_file_values, const std::string& times_file_name,
                        int injection_index) {
  TimeAxis ax;
  std::vector<double> s;
  if (!times_file_values.empty() || !times_file_name.empty()) {
    if (static_cast<int>(times_file_values.size()) != nt)
      throw InputError("time file " + times_file_name + " has " + std::to_string(times_file_values.size()) +
                       " values but the series has " + std::to_string(nt) + " time points");
    s = times_file_values;
    ax.source = "--times " + times_file_name;
  } else if (frame_interval_s > 0) {
    for (int k = 0; k < nt; ++k) s.push_back(k * frame_interval_s);
    std::ostringstream o;
    o << "--frame-interval " << frame_interval_s << " s";
    ax.source = o.str();
  } else if (static_cast<int>(file_times_s.size()) == nt) {
    s = file_times_s;
    ax.source = "image header (frame timing tags)";
  } else {
    throw InputError("the input has no frame times; give --frame-interval SECONDS or --times FILE");
  }
  for (int k = 0; k < nt; ++k) {
    if (!std::isfinite(s[k])) throw InputError("time point " + std::to_string(k) + " is not a finite number");
    if (k > 0 && !(s[k] > s[k - 1]))
      throw InputError("times must increase strictly: time point " + std::to_string(k) + " (" +
                       std::to_string(s[k]) + " s) is not after time point " + std::to_string(k - 1));
  }
  if (injection_index < 0 || injection_index >= nt)
    throw InputError("--injection-index " + std::to_string(injection_index) + " is outside the series' " +
                     std::to_string(nt) + " time points");
  ax.injection_index = injection_index;
  for (int k = 0; k < nt; ++k) ax.all_t_min.push_back(s[k] / 60.0);
  ax.t_min.assign(ax.all_t_min.begin() + injection_index, ax.all_t_min.end());
  return ax;
}

}  // namespace voxflow::kinetics
