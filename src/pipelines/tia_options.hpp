#pragma once
// `voxflow tia` options from a YAML file and `--set` overrides, strictly (an unknown key or a
// value of the wrong type is one line naming the file and the key), and back to YAML.
#include <string>
#include <vector>

#include "src/tia/tia_config.hpp"

namespace voxflow::tia {

/// Settings from a YAML file (`path`) and/or overrides, applied in this order: the defaults,
/// the file (when path is non-empty), then `overrides` as "dotted.key=value" (value parsed as
/// YAML, e.g. "bootstrap.replicates=100", "inputs.times=[3600, 86400]"). Relative paths inside
/// the file are resolved against the file's folder; those in overrides against the working
/// directory. Throws InputError naming the file and the key for a missing/unreadable file,
/// invalid YAML, an unknown key, a value of the wrong type or out of range (times not > 0 or
/// duplicated, half-life <= 0, replicates < 0, epsilon < 0, ...), and when images and times
/// differ in number or fewer than 2 time points are given. The checks that need the images are
/// made by the caller.
TiaConfig load_tia_config(const std::string& path, const std::vector<std::string>& overrides);

/// The effective configuration as YAML text (every key, times in seconds, time.unit seconds), as
/// load_tia_config would read it back; for the summary and the HDF5 attribute.
std::string tia_config_to_yaml(const TiaConfig& cfg);

}  // namespace voxflow::tia
