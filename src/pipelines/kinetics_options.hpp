#pragma once
// `voxflow kinetics` options: a plain struct, read from a YAML file and `--set key=value`
// overrides with the same keys as the command line (long option names with '_' for '-'; the
// `--no-X` switches are `X: false`), strictly: an unknown key or a value of the wrong type is one
// line naming the file and the key. Keys and defaults: docs/kinetics.md.
#include <string>
#include <vector>

namespace voxflow::pipelines {

struct KineticsOptions {
  std::string dicom;                    // multi-frame DICOM file or a folder of DICOM files
  std::string nifti;                    // or a 4D NIfTI series (exactly one of the two)
  std::string output_dir;               // key "output"
  int window = 0;                       // sliding-window map: N x N x N box mean (odd N), 0: pixel level
  int slices = 0;                       // slices per time point of a multi-frame DICOM (0: from the tags, else 9)
  int z = -1;                           // fit only this slice (0-based); -1: all
  double frame_interval_s = 0;          // key "frame_interval": seconds between frames (0: from the file)
  std::string times_file;               // key "times": text file, one time in seconds per frame
  int injection_index = 0;              // first frame fitted
  std::string mask;                     // NIfTI mask on the series' grid: fit voxels != 0
  double checkpoint_interval_s = 60.0;  // key "checkpoint_interval": seconds between checkpoints (0: only on cancel)
  bool resume = false;                  // continue from <output>/checkpoint.h5
  int panel_slice = -1;                 // slice of the PNG panel (-1: the --z slice, else the middle)
  bool dicom_export = true;             // maps also as DICOM series
  bool progress = true;                 // progress bar / lines on rank 0
  std::string command_line;             // recorded in the summary, HDF5 and checkpoint (not a key)
};

/// Options from the YAML file `path` (may be empty) and then `overrides` ("key=value", value parsed
/// as YAML). Relative paths in the file are taken relative to the file's folder. Throws
/// InputError naming the file (or "command line") and the key for an unknown key, a wrong type or
/// a value out of range, and UsageError when not exactly one input or no output folder is given.
KineticsOptions load_kinetics_options(const std::string& path, const std::vector<std::string>& overrides);

/// The options as YAML text with every key, as load_kinetics_options reads it back (summary and
/// the HDF5 "configuration" attribute).
std::string kinetics_options_to_yaml(const KineticsOptions& o);

}  // namespace voxflow::pipelines
