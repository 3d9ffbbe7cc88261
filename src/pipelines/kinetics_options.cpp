#include "src/pipelines/kinetics_options.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "io/config_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::pipelines {

KineticsOptions load_kinetics_options(const std::string& path, const std::vector<std::string>& overrides) {
  const YAML::Node root =
      io::load_config_tree(path, overrides, "kinetics", {"dicom", "nifti", "output", "times", "mask"});
  KineticsOptions o;
  io::ConfigSection top(root, "", io::config_source(path), "docs/kinetics.md");
  top.read_string("dicom", o.dicom);
  top.read_string("nifti", o.nifti);
  top.read_string("output", o.output_dir);
  top.read_int("window", o.window);
  top.read_int("slices", o.slices);
  top.read_int("z", o.z);
  const bool have_interval = top.has("frame_interval");
  top.read_double("frame_interval", o.frame_interval_s);
  top.read_string("times", o.times_file);
  top.read_int("injection_index", o.injection_index);
  top.read_string("mask", o.mask);
  top.read_double("checkpoint_interval", o.checkpoint_interval_s);
  top.read_bool("resume", o.resume);
  top.read_int("panel_slice", o.panel_slice);
  top.read_bool("dicom_export", o.dicom_export);
  top.read_bool("progress", o.progress);
  bool pixel_level = true;
  top.read_bool("pixel_level_maps", pixel_level);  // the original's flag: the default anyway
  top.finish();

  if (o.dicom.empty() == o.nifti.empty())
    throw UsageError("kinetics: give exactly one input, --dicom FILE|DIR or --nifti FILE");
  if (o.output_dir.empty()) throw UsageError("kinetics: give the output folder with -o DIR");
  if (o.window != 0 && (o.window < 1 || o.window % 2 == 0))
    top.fail("window", "must be an odd number >= 1 (got " + std::to_string(o.window) + ")");
  if (o.slices < 0) top.fail("slices", "must be positive");
  if (o.z < -1) top.fail("z", "must be a slice index >= 0");
  if (have_interval && !(o.frame_interval_s > 0)) top.fail("frame_interval", "must be > 0 seconds");
  if (o.injection_index < 0) top.fail("injection_index", "must be >= 0");
  if (o.checkpoint_interval_s < 0) top.fail("checkpoint_interval", "must be >= 0 seconds");
  if (o.panel_slice < -1) top.fail("panel_slice", "must be a slice index >= 0");
  return o;
}

std::string kinetics_options_to_yaml(const KineticsOptions& o) {
  YAML::Node y;
  auto path_or_null = [](const std::string& s) { return s.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Node(s); };
  y["dicom"] = path_or_null(o.dicom);
  y["nifti"] = path_or_null(o.nifti);
  y["output"] = o.output_dir;
  y["window"] = o.window;
  y["slices"] = o.slices;
  y["z"] = o.z;
  y["frame_interval"] = o.frame_interval_s > 0 ? YAML::Node(o.frame_interval_s) : YAML::Node(YAML::NodeType::Null);
  y["times"] = path_or_null(o.times_file);
  y["injection_index"] = o.injection_index;
  y["mask"] = path_or_null(o.mask);
  y["checkpoint_interval"] = o.checkpoint_interval_s;
  y["resume"] = o.resume;
  y["panel_slice"] = o.panel_slice;
  y["dicom_export"] = o.dicom_export;
  y["progress"] = o.progress;
  return io::yaml_text(y);
}

}  // namespace voxflow::pipelines
