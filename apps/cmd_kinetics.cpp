// voxflow kinetics: the command line (or a YAML file) -> KineticsOptions -> pipelines::run_kinetics.
#include <boost/program_options.hpp>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/kinetics_pipeline.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {
namespace {

po::options_description kinetics_options() {
  po::options_description d(
      "voxflow kinetics: voxel-wise PROXYL extended-model maps\n\n"
      "usage: voxflow kinetics (--dicom FILE|DIR | --nifti FILE) [options] -o DIR\n"
      "       voxflow kinetics --config kinetics.yaml [--set key=value ...]\n\n"
      "Every option is also a key of the YAML file ('_' for '-'; --no-X is X: false); options given\n"
      "here override the file, --set overrides both (keys: docs/kinetics.md).\n\noptions");
  d.add_options()                                                                                     //
      ("help,h", "show this help")                                                                    //
      ("config,c", po::value<std::string>(), "YAML file with the options below as keys")              //
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key: --set window=3")  //
      ("dicom", po::value<std::string>(), "multi-frame DICOM (time-major stacks of slices) or a folder of DICOM files")
      ("nifti", po::value<std::string>(), "4D NIfTI series (.nii / .nii.gz)")                          //
      ("output,o", po::value<std::string>(), "output folder (created)")                              //
      ("pixel-level-maps", po::bool_switch(), "fit every voxel independently (the default)")          //
      ("window", po::value<int>(), "sliding-window map instead: fit the mean curve of the N x N x N neighbourhood (N odd)")
      ("slices", po::value<int>(), "slices per time point of a multi-frame DICOM whose tags do not say (default 9)")
      ("z", po::value<int>(), "fit only slice K (0-based); default: all slices")                      //
      ("frame-interval", po::value<double>(), "seconds between frames (when the file has no timing)")
      ("times", po::value<std::string>(), "text file with one time in seconds per frame")           //
      ("injection-index", po::value<int>(), "first frame used in the fit (the original's injection index, default 0)")
      ("mask", po::value<std::string>(), "NIfTI mask on the series' grid (dims and affine): fit only voxels != 0")
      ("checkpoint-interval", po::value<double>(), "seconds between checkpoints (default 60; 0: only on cancellation)")
      ("resume", po::bool_switch(), "continue from DIR/checkpoint.h5 of an interrupted run")         //
      ("panel-slice", po::value<int>(), "slice drawn in pixel_maps_visualization.png (default: middle)")
      ("no-dicom-export", po::bool_switch(), "do not export the maps as DICOM series")                //
      ("no-progress", po::bool_switch(), "no progress bar / progress lines");
  return d;
}

}  // namespace

int cmd_kinetics(const Args& args, const Comm& comm) {
  install_cancel_handlers();
  po::options_description desc = kinetics_options();
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm, "kinetics", comm)) return 0;
  pipelines::KineticsOptions opt;
  collective_check(comm, [&] {
    opt = pipelines::load_kinetics_options(vm.count("config") ? vm["config"].as<std::string>() : "",
                                           config_overrides(vm, {{"output", "output"}}));
  });
  opt.command_line = command_line();
  pipelines::run_kinetics(opt, comm);
  return 0;
}

}  // namespace voxflow::apps
