// voxflow tia: the command line (or a YAML file) -> TiaOptions -> pipelines::run_tia.
#include <yaml-cpp/yaml.h>

#include <boost/program_options.hpp>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/tia_options.hpp"
#include "src/pipelines/tia_pipeline.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {
namespace {

po::options_description tia_options() {
  po::options_description d(
      "voxflow tia: voxel-wise time-integrated activity (TIA, Bq*s per voxel) from SPECT/PET time points\n\n"
      "usage: voxflow tia --config tia.yaml [options]\n"
      "       voxflow tia --images tp1.nii.gz tp2.nii.gz ... --times 3600 14400 ... --half-life S -o DIR\n\n"
      "Options override the configuration file; any key can be set with --set key.path=value\n"
      "(keys and defaults: docs/tia.md).\n\noptions");
  d.add_options()                                                                                      //
      ("help,h", "show this help")                                                                     //
      ("config,c", po::value<std::string>(), "YAML configuration (PyTIA keys)")                        //
      ("images", po::value<std::vector<std::string>>()->multitoken(), "activity images (Bq/ml), one NIfTI per time point")
      ("times", po::value<std::vector<std::string>>()->multitoken(), "acquisition times, one per image (see --time-unit)")
      ("time-unit", po::value<std::string>(), "unit of --times: seconds (default), minutes, hours, days")  //
      ("half-life", po::value<std::string>(), "physical half-life of the radionuclide in seconds")   //
      ("output,o", po::value<std::string>(), "output folder (created)")                               //
      ("mask", po::value<std::string>(), "otsu (default), none, or a NIfTI mask file on the image grid")
      ("sigma-mm", po::value<std::string>(), "masked Gaussian denoising sigma in mm")                 //
      ("no-denoise", po::bool_switch(), "no masked Gaussian denoising")                               //
      ("bootstrap", po::value<std::string>(), "bootstrap replicates (0: no uncertainty map)")        //
      ("seed", po::value<std::string>(), "bootstrap seed")                                            //
      ("prefix", po::value<std::string>(), "output file name prefix")                                 //
      ("selection", po::value<std::string>(), "model choice: design (default), aic or aicc (models.selection)")
      ("candidates", po::value<std::string>(),
       "models for aic / aicc, comma-separated subset of gamma,monoexp,biexp,triexp,hybrid (models.candidates)")
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key: --set models.refine=true")
      ("no-progress", po::bool_switch(), "no progress bar / progress lines");
  return d;
}

std::string yaml_flow_list(const std::vector<std::string>& v, bool quote) {
  YAML::Emitter e;
  e << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : v) {
    if (quote) e << YAML::DoubleQuoted << s;
    else e << s;
  }
  e << YAML::EndSeq;
  return e.c_str();
}

/// The command-line options as configuration overrides (applied after the file).
std::vector<std::string> overrides_from(const po::variables_map& vm) {
  std::vector<std::string> o;
  if (vm.count("images")) o.push_back("inputs.images=" + yaml_flow_list(vm["images"].as<std::vector<std::string>>(), true));
  if (vm.count("times")) o.push_back("inputs.times=" + yaml_flow_list(vm["times"].as<std::vector<std::string>>(), false));
  if (vm.count("time-unit")) o.push_back("time.unit=" + vm["time-unit"].as<std::string>());
  if (vm.count("half-life")) o.push_back("physics.half_life_seconds=" + vm["half-life"].as<std::string>());
  if (vm.count("output")) o.push_back("io.output_dir=\"" + vm["output"].as<std::string>() + "\"");
  if (vm.count("mask")) {
    const std::string m = vm["mask"].as<std::string>();
    if (m == "otsu" || m == "none") o.push_back("mask.mode=" + m);
    else {
      o.push_back("mask.mode=file");
      o.push_back("mask.path=\"" + m + "\"");
    }
  }
  if (vm.count("sigma-mm")) o.push_back("denoise.sigma_mm=" + vm["sigma-mm"].as<std::string>());
  if (vm["no-denoise"].as<bool>()) o.push_back("denoise.enabled=false");
  if (vm.count("bootstrap")) o.push_back("bootstrap.replicates=" + vm["bootstrap"].as<std::string>());
  if (vm.count("seed")) o.push_back("bootstrap.seed=" + vm["seed"].as<std::string>());
  if (vm.count("prefix")) o.push_back("io.prefix=\"" + vm["prefix"].as<std::string>() + "\"");
  if (vm.count("selection")) o.push_back("models.selection=" + vm["selection"].as<std::string>());
  if (vm.count("candidates")) o.push_back("models.candidates=[" + vm["candidates"].as<std::string>() + "]");
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) o.push_back(s);
  return o;
}

}  // namespace

int cmd_tia(const Args& args, const Comm& comm) {
  install_cancel_handlers();
  po::options_description desc = tia_options();
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm, "tia", comm)) return 0;
  if (!vm.count("config") && !vm.count("images"))
    throw UsageError("tia: give --config FILE or --images ... --times ... --half-life S -o DIR");
  pipelines::TiaOptions opt;
  collective_check(comm, [&] {
    opt.config = tia::load_tia_config(vm.count("config") ? vm["config"].as<std::string>() : "", overrides_from(vm));
  });
  opt.progress = !vm["no-progress"].as<bool>();
  opt.command_line = command_line();
  pipelines::run_tia(opt, comm);
  return 0;
}

}  // namespace voxflow::apps
