// voxflow tia-roi: per-label summary of TIA maps (seeds/002 PyTIA design §12.2, the real-data
// validation script): roi_summary.csv, optionally roi_tacs.csv and a bar chart.
#include <boost/program_options.hpp>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/pipelines/tia_roi_pipeline.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {
namespace {

po::options_description tia_roi_options() {
  po::options_description d(
      "voxflow tia-roi: per-label summary of voxflow tia maps\n\n"
      "usage: voxflow tia-roi --maps DIR --labels labels.nii.gz [--config tia.yaml] [-o DIR]\n"
      "       voxflow tia-roi --config tia.yaml [--set key=value ...] [--labels labels.nii.gz]\n\n"
      "Writes roi_summary.csv (label, voxels, voxels_ok, fraction_ok, mean_tia_bq_s, total_tia_bq_s,\n"
      "mean_r2, mean_sigma_tia_bq_s), roi_tia.png (mean TIA per label with the mean bootstrap SD)\n"
      "and, with --config (or --images/--times), roi_tacs.csv (label, time_s, mean_bq_per_ml).\n\noptions");
  d.add_options()                                                                                    //
      ("help,h", "show this help")                                                                   //
      ("maps", po::value<std::string>(), "folder holding the tia run's maps")                        //
      ("prefix", po::value<std::string>()->default_value(""), "file name prefix of the maps (io.prefix)")
      ("labels", po::value<std::string>(), "label map (NIfTI) on the maps' grid; label 0 is ignored")
      ("config,c", po::value<std::string>(), "the tia run's configuration: its images and times give roi_tacs.csv, its "
                                               "io.output_dir, io.prefix and regions.label_map_path the defaults of --maps, --prefix, --labels")
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key of that configuration: --set io.prefix=p")
      ("images", po::value<std::vector<std::string>>()->multitoken(), "time points for roi_tacs.csv")  //
      ("times", po::value<std::vector<double>>()->multitoken(), "their times in seconds")              //
      ("output,o", po::value<std::string>(), "output folder (default: the maps folder)")             //
      ("no-plot", po::bool_switch(), "do not draw roi_tia.png");
  return d;
}

}  // namespace

int cmd_tia_roi(const Args& args, const Comm& comm) {
  po::options_description desc = tia_roi_options();
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm, "tia-roi", comm)) return 0;
  pipelines::TiaRoiOptions o;
  if (vm.count("maps")) o.maps_dir = vm["maps"].as<std::string>();
  o.prefix = vm["prefix"].as<std::string>();
  if (vm.count("labels")) o.labels = vm["labels"].as<std::string>();
  if (vm.count("config")) o.config = vm["config"].as<std::string>();
  if (vm.count("set")) o.config_overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("images")) o.images = vm["images"].as<std::vector<std::string>>();
  if (vm.count("times")) o.times_s = vm["times"].as<std::vector<double>>();
  if (vm.count("output")) o.output_dir = vm["output"].as<std::string>();
  o.plot = !vm["no-plot"].as<bool>();
  pipelines::run_tia_roi(o, comm);
  return 0;
}

}  // namespace voxflow::apps
