// libFuzzer harness: the YAML configuration (io/config_file.hpp) on arbitrary bytes: the file is
// loaded with an override, resolved for path keys, and read back through ConfigSection as a
// command does (numbers, strings, lists, sub-mappings, unknown keys). A voxflow::Error is the
// expected answer to bad input; any other exception (e.g. a yaml-cpp one escaping), a crash or a
// sanitizer report is a finding. Run by tests/fuzz/run_fuzz.sh.
#include <cstdint>
#include <cstdlib>

#include "io/config_file.hpp"
#include "src/core/error.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = voxflow::fuzz::write_input(data, size, ".yaml");
  try {
    const YAML::Node tree =
        voxflow::io::load_config_tree(path, {"io.prefix=x"}, "fuzz", {"inputs.images", "mask.path", "io.output_dir"});
    voxflow::io::ConfigSection top(tree, "", path, "docs");
    double d = 0;
    int i = 0;
    long long ll = 0;
    bool b = false;
    std::string s;
    std::vector<double> nums;
    std::vector<std::string> strs;
    voxflow::io::ConfigSection inputs = top.sub("inputs");
    inputs.read_string_list("images", strs);
    inputs.read_number_list("times", nums);
    inputs.read_string("time_unit", s);
    inputs.finish();
    voxflow::io::ConfigSection physics = top.sub("physics");
    physics.read_double("half_life_seconds", d);
    physics.finish();
    voxflow::io::ConfigSection io = top.sub("io");
    io.read_string("output_dir", s);
    io.read_string("prefix", s);
    io.read_bool("write_tpeak", b);
    io.finish();
    top.read_int("window", i);
    top.read_int64("chunk", ll);
    top.finish();
    (void)voxflow::io::yaml_text(tree);
  } catch (const voxflow::Error&) {
  }
  return 0;
}
