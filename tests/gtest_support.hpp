#pragma once
// Helpers shared by the GoogleTest files (linked through voxflow_test_main).
#include <string>

namespace voxflow::testing {

/// Writes `script` to DIR/<stem>.py and runs it with Debian's python3 (VOXFLOW_PYTHON: numpy,
/// pydicom, nibabel, h5py) and `args`; stdout and stderr go to DIR/<stem>.log and into *log.
/// Returns the exit status as std::system reports it (0 on success).
int run_python(const std::string& dir, const std::string& script, const std::string& args, std::string* log,
               const std::string& stem = "script");

/// Runs the python file `script_path` (e.g. VOXFLOW_SOURCE_DIR "/tests/python/...") with `args`;
/// stdout and stderr go to DIR/<stem>.log and into *log. Returns what std::system returns.
int run_python_file(const std::string& dir, const std::string& script_path, const std::string& args, std::string* log,
                    const std::string& stem = "script");

}  // namespace voxflow::testing
