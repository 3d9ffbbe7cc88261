// voxflow vessel-phantom: the CTA-like coronary phantom of issue 11 with its truth (until
// `voxflow phantom --vessel` calls the same pipelines::write_vessel_phantom).
#include <boost/program_options.hpp>
#include <cstdio>
#include <sstream>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/vessel_phantom_run.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {

int cmd_vessel_phantom(const Args& args, const Comm& comm) {
  po::options_description d(
      "voxflow vessel-phantom: a CTA-like coronary phantom (HU, noise, tapering artery with a side branch,\n"
      "50 % stenosis with soft plaque, calcified plaque, oblique affine) with its true centerline and two clicks\n\n"
      "usage: voxflow vessel-phantom -o DIR [--size NX,NY,NZ]\n\noptions");
  d.add_options()("help,h", "show this help")                                                       //
      ("output,o", po::value<std::string>(), "output folder")                                         //
      ("size", po::value<std::string>()->default_value("512,512,256"), "voxels NX,NY,NZ (or one N for N,N,N/2)")  //
      ("spacing-mm", po::value<double>()->default_value(0.4), "isotropic voxel size")                //
      ("noise", po::value<double>()->default_value(20.0), "noise standard deviation in HU")          //
      ("seed", po::value<unsigned long long>()->default_value(20261203ULL), "noise seed");
  po::variables_map vm;
  add_config_file_options(d);
  if (!parse_command_line_and_config(args, d, vm, "vessel-phantom", comm, {"output"})) return 0;
  if (!vm.count("output")) throw UsageError("vessel-phantom: -o DIR is required");
  vessel::VesselPhantomOptions o;
  std::vector<long long> n;
  {
    std::stringstream in(vm["size"].as<std::string>());
    std::string item;
    while (std::getline(in, item, ',')) {
      try {
        size_t used = 0;
        n.push_back(std::stoll(item, &used));
        if (used != item.size()) throw std::invalid_argument(item);
      } catch (const std::exception&) {
        throw UsageError("vessel-phantom: --size must be N or NX,NY,NZ");
      }
    }
  }
  if (n.size() == 1)
    o.dims = {n[0], n[0], std::max(1LL, n[0] / 2)};
  else if (n.size() == 3)
    o.dims = {n[0], n[1], n[2]};
  else
    throw UsageError("vessel-phantom: --size must be N or NX,NY,NZ");
  o.spacing_mm = vm["spacing-mm"].as<double>();
  o.noise_hu = vm["noise"].as<double>();
  o.seed = vm["seed"].as<unsigned long long>();
  const std::string dir = vm["output"].as<std::string>();
  const std::string cmd = pipelines::write_vessel_phantom(dir, o, comm);
  if (comm.is_root()) std::printf("vessel phantom written to %s; run:\n  %s\n", dir.c_str(), cmd.c_str());
  return 0;
}

}  // namespace voxflow::apps
