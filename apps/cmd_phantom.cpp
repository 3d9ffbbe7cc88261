// voxflow phantom: the built-in digital reference object with known truth (the default input of
// `voxflow kinetics`): a multi-frame DICOM in the kinetics scanner's layout plus the true maps.
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/kinetics_phantom_writer.hpp"
#include "src/pipelines/tia_phantom_writer.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace voxflow::apps {

namespace {

/// "4,24,48,168" or "4 24 48 168" -> hours.
std::vector<double> parse_times_h(const std::string& text) {
  std::vector<double> out;
  std::string s = text;
  for (char& c : s)
    if (c == ',' || c == ';') c = ' ';
  std::istringstream in(s);
  std::string w;
  while (in >> w) {
    size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != w.size()) throw UsageError("phantom: --times-h expects numbers in hours, e.g. 4,24,48,168 (got '" + text + "')");
    out.push_back(v);
  }
  return out;
}

/// voxflow phantom --tia: the TIA (Lu-177 SPECT) phantom, src/tia/tia_phantom.hpp.
int tia_phantom_command(const po::variables_map& vm, const Comm& comm) {
  for (const char* k : {"nx", "ny", "nz", "nt", "frame-interval"})
    if (vm.count(k) && !vm[k].defaulted())
      throw UsageError(std::string("phantom --tia: --") + k + " belongs to the kinetics phantom; use --size N");
  tia::TiaPhantomSpec spec;
  if (vm.count("size")) {
    const int n = vm["size"].as<int>();
    if (n < 8) throw UsageError("phantom --tia: --size must be >= 8");
    spec = tia::TiaPhantomSpec::cube(n);
  }
  if (!vm["noise"].defaulted()) spec.noise = vm["noise"].as<double>();
  if (!vm["seed"].defaulted()) spec.seed = vm["seed"].as<std::uint64_t>();
  if (vm.count("times-h")) spec.times_h = parse_times_h(vm["times-h"].as<std::string>());
  if (vm.count("kinetics")) spec.kinetics = vm["kinetics"].as<std::string>();
  spec.validate();
  const std::string out = vm["output"].as<std::string>();
  pipelines::write_tia_phantom(spec, out, comm);
  if (comm.is_root())
    std::fprintf(stderr, "voxflow phantom --tia: %zu time points of %lld x %lld x %lld voxels (%.4g mm, noise %.3g) in %s\n",
                 spec.times_h.size(), static_cast<long long>(spec.nx), static_cast<long long>(spec.ny),
                 static_cast<long long>(spec.nz), spec.spacing_mm, spec.noise, out.c_str());
  return 0;
}

}  // namespace

int cmd_phantom(const Args& args, const Comm& comm) {
  // voxflow phantom --vessel ...: the CTA coronary phantom (the same as voxflow vessel-phantom ...)
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i] == "--vessel") {
      Args rest(args);
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
      return cmd_vessel_phantom(rest, comm);
    }
  kinetics::PhantomSpec spec;
  po::options_description d(
      "voxflow phantom: write the kinetics digital reference object\n\n"
      "usage: voxflow phantom -o DIR [options]\n\n"
      "writes DIR/phantom.dcm (multi-frame DICOM, frame = t * nz + z, timing tags), DIR/times_s.txt,\n"
      "DIR/truth/<param>_true.nii.gz and _true.npy (kb, kd, knt, A0, A1, A2, t0, tmax) and DIR/truth/region.nii.gz\n"
      "(0 background, 1 muscle, 2 tumour)\n\n"
      "usage: voxflow phantom --tia -o DIR [--size N] [--noise F] [--seed S] [--times-h 4,24,48,168]\n"
      "                       [--kinetics design|physiological]\n\n"
      "writes the TIA (Lu-177 SPECT) phantom: DIR/activity_tp{1..N}.nii.gz (Bq/ml), labels.nii.gz,\n"
      "tia_truth.nii.gz (Bq*s per voxel), phantom_organs.csv, tia.yaml, tia_regions.yaml (docs/tia_phantom.md);\n"
      "with --tia, --noise is the relative Gaussian noise SD (default 0.05, 0 = noiseless) and --seed its seed\n"
      "(default 0)\n\n"
      "usage: voxflow phantom --vessel -o DIR [--size NX,NY,NZ] ...: the CTA coronary phantom (voxflow vessel-phantom --help)\n\noptions");
  d.add_options()("help,h", "show this help")("output,o", po::value<std::string>(), "output folder")
      ("nx", po::value<int>(&spec.nx)->default_value(spec.nx), "voxels along x")
      ("ny", po::value<int>(&spec.ny)->default_value(spec.ny), "voxels along y")
      ("nz", po::value<int>(&spec.nz)->default_value(spec.nz), "slices")
      ("nt", po::value<int>(&spec.nt)->default_value(spec.nt), "time points")
      ("frame-interval", po::value<double>(&spec.frame_interval_s)->default_value(spec.frame_interval_s), "seconds between frames")
      ("noise", po::value<double>(&spec.noise_sigma)->default_value(spec.noise_sigma), "Gaussian noise SD (signal units)")
      ("seed", po::value<std::uint64_t>(&spec.seed)->default_value(spec.seed), "noise seed")
      ("tia", po::bool_switch(), "write the TIA (Lu-177 SPECT) phantom instead")
      ("size", po::value<int>(), "--tia: N x N x N voxels over 512 mm (default 128 x 128 x 64 at 4 mm)")
      ("times-h", po::value<std::string>(), "--tia: scan times in hours (default 4,24,48,168)")
      ("kinetics", po::value<std::string>(), "--tia: design (default: each organ in a design model family) or "
                                             "physiological (bi-exponential uptake-washout organs, exact TIA)");
  po::variables_map vm;
  add_config_file_options(d);
  if (!parse_command_line_and_config(args, d, vm, "phantom", comm, {"output"})) return 0;
  if (!vm.count("output")) throw UsageError("phantom: give the output folder with -o DIR");
  if (vm["tia"].as<bool>()) return tia_phantom_command(vm, comm);
  if (vm.count("size") || vm.count("times-h") || vm.count("kinetics"))
    throw UsageError("phantom: --size, --times-h and --kinetics need --tia");
  if (spec.nx < 1 || spec.ny < 1 || spec.nz < 1 || spec.nt < 1 || !(spec.frame_interval_s > 0) || spec.noise_sigma < 0)
    throw UsageError("phantom: sizes must be >= 1, --frame-interval > 0 and --noise >= 0");
  const fs::path out = vm["output"].as<std::string>();

  pipelines::write_kinetics_phantom(spec, out.string(), comm);
  if (comm.is_root())
    std::fprintf(stderr, "voxflow phantom: %s (%d x %d x %d x %d frames of %.0f s) and the truth in %s\n",
                 (out / "phantom.dcm").c_str(), spec.nx, spec.ny, spec.nz, spec.nt, spec.frame_interval_s,
                 (out / "truth").c_str());
  return 0;
}

}  // namespace voxflow::apps
