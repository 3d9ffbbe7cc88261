// voxflow info FILE: what a user checks first about an image: dimensions, time points and frame
// times, spacing, affine, datatype and value range (NIfTI, DICOM file or folder, voxflow HDF5).
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "io/hdf5_results.hpp"
#include "io/image_reader.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/image_summary.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {

namespace {
void print_affine(const Affine& a) {
  for (int r = 0; r < 4; ++r)
    std::printf("  [%12.6f %12.6f %12.6f %12.6f]\n", a[r][0], a[r][1], a[r][2], a[r][3]);
}
}  // namespace

int cmd_info(const Args& args, const Comm& comm) {
  po::options_description d("voxflow info: describe an image\n\nusage: voxflow info FILE|DIR [--slices N]\n\noptions");
  d.add_options()("help,h", "show this help")("input", po::value<std::string>(), "NIfTI, DICOM file or folder, voxflow HDF5")(
      "slices", po::value<int>()->default_value(0), "slices per time point of a multi-frame DICOM (when the tags do not say)")(
      "no-range", po::bool_switch(), "skip reading the voxels for the value range");
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  add_config_file_options(d);
  if (!parse_command_line_and_config(args, d, vm, "info", comm, {"input"}, &pos)) return 0;
  if (!vm.count("input")) throw UsageError("info: give a file or folder (voxflow info FILE)");
  const std::string path = vm["input"].as<std::string>();
  const bool with_range = !vm["no-range"].as<bool>();
  const pipelines::ImageSummary sm = pipelines::describe_image(path, vm["slices"].as<int>(), with_range, comm);
  if (sm.format == io::ImageFormat::Hdf5) {
    const io::H5FileInfo& hi = sm.h5;
    if (comm.is_root()) {
      std::printf("file:        %s\nformat:      voxflow HDF5\ndimensions:  %s\nspacing_mm:  %g %g %g\naffine (voxel -> RAS mm):\n",
                  path.c_str(), hi.grid.describe().c_str(), hi.grid.spacing_mm[0], hi.grid.spacing_mm[1],
                  hi.grid.spacing_mm[2]);
      print_affine(hi.grid.affine);
      std::printf("datasets:\n");
      for (const auto& ds : hi.datasets) std::printf("  %s\n", ds.c_str());
      std::printf("attributes:\n");
      for (const auto& [k, v] : hi.attributes) {
        std::string one = v.substr(0, v.find('\n'));
        if (one.size() > 100) one = one.substr(0, 100) + "...";
        std::printf("  %s: %s%s\n", k.c_str(), one.c_str(), one.size() < v.size() ? " ..." : "");
      }
    }
    return 0;
  }
  const io::ImageInfo& info = sm.info;
  const double lo = sm.min, hi = sm.max;
  const long long nonfinite = sm.non_finite;
  if (comm.is_root()) {
    const Grid& g = info.grid;
    std::printf("file:        %s\nformat:      %s\ndimensions:  %lld x %lld x %lld\ntime points: %lld\n", path.c_str(),
                info.format.c_str(), static_cast<long long>(g.nx()), static_cast<long long>(g.ny()),
                static_cast<long long>(g.nz()), static_cast<long long>(g.nt));
    if (!info.frame_times_s.empty()) {
      std::printf("frame times (s):");
      for (size_t t = 0; t < info.frame_times_s.size(); ++t) {
        if (t == 8 && info.frame_times_s.size() > 10) {
          std::printf(" ... %g", info.frame_times_s.back());
          break;
        }
        std::printf(" %g", info.frame_times_s[t]);
      }
      std::printf("\n");
    } else if (g.nt > 1) {
      std::printf("frame times: not in the file\n");
    }
    std::printf("spacing_mm:  %g %g %g\naffine (voxel -> RAS mm):\n", g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]);
    print_affine(g.affine);
    std::printf("datatype:    %s (scaled by %g, offset %g)\n", info.datatype.c_str(), info.rescale_slope,
                info.rescale_intercept);
    if (!info.description.empty()) std::printf("description: %s\n", info.description.c_str());
    if (sm.has_range) {
      if (std::isfinite(lo))
        std::printf("value range: %g .. %g", lo, hi);
      else
        std::printf("value range: no finite value");
      if (nonfinite) std::printf(" (%lld non-finite values)", nonfinite);
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace voxflow::apps
