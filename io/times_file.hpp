#pragma once
// Frame times from a text file (`voxflow kinetics --times FILE`).
#include <string>
#include <vector>

namespace voxflow::io {

/// Read whitespace/comma/newline separated numbers (seconds) from a text file; '#' starts a
/// comment. Throws InputError for a missing file or a token that is not a number (naming line).
std::vector<double> read_times_file(const std::string& path);

}  // namespace voxflow::io
