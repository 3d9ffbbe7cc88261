#pragma once
// The cohort manifest of `voxflow cohort`: a CSV file with the header
//   subject,command,inputs,options
// one row per subject and command: subject an id ([A-Za-z0-9._-], unique with its command), command
// one of kinetics | tia | vessel, inputs the input paths separated by ';' (kinetics: the series,
// .nii/.nii.gz -> --nifti, anything else -> --dicom; tia: its YAML configuration; vessel: the CTA),
// options the further voxflow options of that run, separated by spaces ("..." groups a value with
// spaces). Relative paths (inputs, and option values that name existing files) are taken from the
// manifest's folder. Fields may be double-quoted (RFC 4180); '#' starts a comment line.
#include <string>
#include <vector>

namespace voxflow::pipelines {

struct CohortEntry {
  int index = 0;                     // 0-based row number among the entries (the array task id)
  int line = 0;                      // line in the file (messages)
  std::string subject, command;
  std::vector<std::string> inputs;   // absolute
  std::vector<std::string> options;  // tokens; values that name files made absolute
};

struct CohortManifest {
  std::string path;                  // absolute
  std::vector<CohortEntry> entries;
};

/// Reads and checks the manifest. Throws InputError "<file>:<line>: <what is wrong>" for a missing
/// file or header, an unknown command, a bad or repeated subject id, a missing input, an option
/// that names the output folder (-o/--output: the cohort chooses it).
CohortManifest read_cohort_manifest(const std::string& path);

/// OUT/<subject>/<command>: where the entry's outputs go (the subject id, never an input's name).
std::string cohort_output_dir(const std::string& out_root, const CohortEntry& e);

/// The voxflow arguments (after the program name) that process the entry into `out_dir`.
std::vector<std::string> cohort_arguments(const CohortEntry& e, const std::string& out_dir);

/// The summary file name the entry's command writes (summary.yaml, tia_summary.yaml).
std::string cohort_summary_file(const CohortEntry& e);

/// The content key of the entry: SHA-256 over the voxflow version, the command, the SHA-256 of every
/// input file (a folder: each file in it; a YAML configuration: also every file it names) and the
/// options (with file values replaced by their content's SHA-256). Paths do not enter: moving the
/// data does not redo a subject; changing a byte of it, an option or the version does.
/// Throws InputError when an input cannot be read.
std::string cohort_key(const CohortEntry& e);

}  // namespace voxflow::pipelines
