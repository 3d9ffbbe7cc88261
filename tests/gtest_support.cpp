#include "tests/gtest_support.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace voxflow::testing {

int run_python(const std::string& dir, const std::string& script, const std::string& args, std::string* log,
               const std::string& stem) {
  const std::string py = dir + "/" + stem + ".py";
  {
    std::ofstream f(py, std::ios::binary);
    f << script;
  }
  return run_python_file(dir, py, args, log, stem);
}

int run_python_file(const std::string& dir, const std::string& script_path, const std::string& args, std::string* log,
                    const std::string& stem) {
  const std::string out = dir + "/" + stem + ".log";
  const std::string cmd = std::string(VOXFLOW_PYTHON) + " " + script_path + " " + args + " > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  *log = s.str();
  return rc;
}

}  // namespace voxflow::testing
