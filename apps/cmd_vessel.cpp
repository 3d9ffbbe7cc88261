// voxflow vessel: two clicks on a CTA to a centerline in world mm (issue 11, part 1). Parses the
// options into pipelines::VesselOptions and calls pipelines::run_vessel.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/vessel_run.hpp"

namespace po = boost::program_options;

namespace voxflow::apps {

namespace {

std::vector<double> parse_list(const std::string& s, const std::string& what, size_t want) {
  std::vector<double> v;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      const double x = std::stod(item, &used);
      if (used != item.size() || !std::isfinite(x)) throw std::invalid_argument(item);
      v.push_back(x);
    } catch (const std::exception&) {
      throw UsageError("vessel: " + what + " must be numbers separated by commas, got '" + s + "'");
    }
  }
  if ((want && v.size() != want) || v.empty())
    throw UsageError("vessel: " + what + " needs " + (want ? std::to_string(want) : std::string("at least one")) +
                     " comma-separated numbers, got '" + s + "'");
  return v;
}

}  // namespace

int cmd_vessel(const Args& args, const Comm& comm) {
  po::options_description d(
      "voxflow vessel: centerline of a contrast-filled vessel between two clicks (Frangi vesselness, fast\n"
      "marching on distributed slabs, gradient backtracking, smoothing spline)\n\n"
      "usage: voxflow vessel -i CTA --start X,Y,Z --end X,Y,Z [--coords world|voxel] -o DIR\n\noptions");
  d.add_options()("help,h", "show this help")                                                      //
      ("input,i", po::value<std::string>(), "CTA: NIfTI file or DICOM series folder (3D)")           //
      ("start", po::value<std::string>(), "start click X,Y,Z (world RAS mm, or voxel with --coords voxel)")  //
      ("end", po::value<std::string>(), "end click X,Y,Z")                                           //
      ("coords", po::value<std::string>()->default_value("world"), "world (RAS mm through the affine) or voxel")  //
      ("output,o", po::value<std::string>(), "output folder")                                        //
      ("spacing-mm", po::value<std::string>()->default_value("auto"),
       "isotropic resampling: auto (off for an isotropic input, 0.5 mm otherwise), off, or a spacing in mm")  //
      ("scales", po::value<std::string>()->default_value("1,2,3"), "Frangi sigmas in voxels")        //
      ("scales-mm", po::value<std::string>(), "Frangi sigmas in mm (instead of --scales)")           //
      ("alpha", po::value<double>()->default_value(0.5), "Frangi alpha (plate sensitivity)")        //
      ("beta", po::value<double>()->default_value(0.5), "Frangi beta (blob sensitivity)")           //
      ("c", po::value<std::string>()->default_value("15"), "Frangi c in image units (HU), or 'auto' (half the max Hessian norm)")  //
      ("dark-vessels", po::bool_switch(), "dark vessels on a bright background (default: bright lumen)")  //
      ("mask", po::value<std::string>(), "NIfTI on the image grid: the front moves only where it is != 0")  //
      ("speed", po::value<std::string>()->default_value("power"),
       "cost map: power (epsilon + (V/V_ref)^p, V_ref = the largest vesselness within 8 voxels of the clicks; "
       "default) or exp (the seed's cost exp(-alpha V))")  //
      ("speed-epsilon", po::value<double>()->default_value(1e-3), "power form: background speed")  //
      ("speed-power", po::value<double>()->default_value(2.0), "power form: exponent p")          //
      ("speed-alpha", po::value<double>()->default_value(1.0), "exp form: alpha")                 //
      ("second-order", po::bool_switch(), "second-order fast marching where the neighbours allow") //
      ("sample-spacing-mm", po::value<double>()->default_value(0.5), "centerline sample spacing")  //
      ("smoothing-mm", po::value<double>()->default_value(1.0), "centerline smoothing length")     //
      ("vesselness", po::value<std::string>()->default_value("lazy"),
       "lazy: Frangi only in the blocks the front reaches (same centerline, a fraction of the work); full: the whole "
       "volume (also chosen by --c auto)")  //
      ("block-voxels", po::value<int>()->default_value(32), "edge of the lazy vesselness blocks in voxels")  //
      ("maps", po::value<std::string>()->default_value("auto"),
       "vesselness.nii.gz and arrival_time.nii.gz on the input grid: on, off, or auto (on up to 16,777,216 voxels)")  //
      ("no-maps", po::bool_switch(), "the same as --maps off")  //
      // part 2 (issue 12): lumen and outer wall
      ("no-walls", po::bool_switch(), "stop after the centerline (no walls, measurements, meshes, pictures)")  //
      ("step-mm", po::value<double>()->default_value(0.5), "cross-sections every this much arc length (mm)")  //
      ("section-size-mm", po::value<double>()->default_value(16.0), "side of the cross-section pictures (mm)")  //
      ("section-spacing-mm", po::value<double>()->default_value(0.1), "pixel size of the cross-section and CPR pictures (mm)")  //
      ("angles", po::value<int>()->default_value(72), "polar unwrap: rays per cross-section")  //
      ("radii", po::value<int>()->default_value(61), "polar unwrap: samples per ray (0 to --max-radius-mm)")  //
      ("max-radius-mm", po::value<double>()->default_value(6.0), "polar unwrap: ray length (mm)")  //
      ("calcium-hu", po::value<double>()->default_value(600.0), "brighter is calcium: kept out of the lumen, counted as calcified plaque")  //
      ("wall-hu", po::value<double>()->default_value(50.0), "outer wall edge: intensities clamped here, about soft plaque (grey-to-dark edge to fat)")  //
      ("fat-hu", po::value<double>()->default_value(-35.0), "where the image 0.4-0.6 mm outside the lumen is darker (fat), the outer wall is the lumen boundary")  //
      ("edge-model", po::value<std::string>()->default_value("two-edge"), "radii after the DP: two-edge (a blurred lumen/plaque/fat model fitted on each ray: sub-voxel, unbiased) or dp (the DP's edges)")  //
      ("edge-blur-mm", po::value<double>()->default_value(0.0), "edge blur of the two-edge model (logistic scale, mm); 0: measured where the lumen borders fat")  //
      ("smoothness", po::value<int>()->default_value(1), "largest radius change per angle step (radial samples)")  //
      ("min-wall-mm", po::value<double>()->default_value(0.0), "outer wall at least this far outside the lumen (mm)")  //
      ("min-edge-hu", po::value<double>()->default_value(40.0), "a section whose mean lumen edge contrast is lower is not segmented (HU)")  //
      ("refine-passes", po::value<int>()->default_value(1), "centerline refinements through the lumen centroids")  //
      ("flow-extensions", po::value<double>()->default_value(0.0), "straight extensions of the surfaces, in end diameters (0: none)")  //
      ("reference-distance-mm", po::value<double>()->default_value(5.0), "stenosis reference windows start this far from the lesion (mm)")  //
      ("reference-length-mm", po::value<double>()->default_value(5.0), "length of each stenosis reference window (mm)")  //
      ("no-pictures", po::bool_switch(), "do not write vessel_cpr.png, vessel_sections.png, vessel_areas.png");
  po::variables_map vm;
  add_config_file_options(d);
  if (!parse_command_line_and_config(args, d, vm, "vessel", comm, {"input", "output", "mask"})) return 0;
  for (const char* k : {"input", "start", "end", "output"})
    if (!vm.count(k)) throw UsageError(std::string("vessel: --") + k + " is required (voxflow vessel --help)");
  pipelines::VesselOptions o;
  o.input = vm["input"].as<std::string>();
  o.output_dir = vm["output"].as<std::string>();
  o.command_line = command_line();
  const auto s = parse_list(vm["start"].as<std::string>(), "--start", 3), e = parse_list(vm["end"].as<std::string>(), "--end", 3);
  o.start = {s[0], s[1], s[2]};
  o.end = {e[0], e[1], e[2]};
  const std::string coords = vm["coords"].as<std::string>();
  if (coords != "world" && coords != "voxel") throw UsageError("vessel: --coords must be world or voxel");
  o.coords_voxel = coords == "voxel";
  const std::string spc = vm["spacing-mm"].as<std::string>();
  if (spc == "auto")
    o.spacing_mm = -1.0;
  else if (spc == "off")
    o.spacing_mm = 0.0;
  else {
    o.spacing_mm = parse_list(spc, "--spacing-mm", 1)[0];
    if (!(o.spacing_mm > 0.0)) throw UsageError("vessel: --spacing-mm must be > 0, auto or off");
  }
  o.scales_vox = parse_list(vm["scales"].as<std::string>(), "--scales", 0);
  if (vm.count("scales-mm")) o.scales_mm = parse_list(vm["scales-mm"].as<std::string>(), "--scales-mm", 0);
  o.alpha = vm["alpha"].as<double>();
  o.beta = vm["beta"].as<double>();
  const std::string c = vm["c"].as<std::string>();
  if (c == "auto")
    o.c_auto = true;
  else
    o.c = parse_list(c, "--c", 1)[0];
  o.dark_vessels = vm["dark-vessels"].as<bool>();
  if (vm.count("mask")) o.mask = vm["mask"].as<std::string>();
  const std::string form = vm["speed"].as<std::string>();
  if (form == "power")
    o.speed.form = vessel::SpeedForm::power;
  else if (form == "exp")
    o.speed.form = vessel::SpeedForm::exponential;
  else
    throw UsageError("vessel: --speed must be power or exp");
  o.speed.epsilon = vm["speed-epsilon"].as<double>();
  o.speed.power = vm["speed-power"].as<double>();
  o.speed.alpha = vm["speed-alpha"].as<double>();
  o.second_order = vm["second-order"].as<bool>();
  o.sample_spacing_mm = vm["sample-spacing-mm"].as<double>();
  o.smoothing_mm = vm["smoothing-mm"].as<double>();
  const std::string maps = vm["maps"].as<std::string>();
  if (maps != "auto" && maps != "on" && maps != "off") throw UsageError("vessel: --maps must be auto, on or off");
  o.maps = vm["no-maps"].as<bool>() ? pipelines::MapsChoice::off
           : maps == "on"           ? pipelines::MapsChoice::on
           : maps == "off"          ? pipelines::MapsChoice::off
                                    : pipelines::MapsChoice::automatic;
  const std::string vmode = vm["vesselness"].as<std::string>();
  if (vmode != "lazy" && vmode != "full") throw UsageError("vessel: --vesselness must be lazy or full");
  o.lazy_vesselness = vmode == "lazy";
  o.block_voxels = vm["block-voxels"].as<int>();
  if (o.block_voxels < 4) throw UsageError("vessel: --block-voxels must be >= 4");
  auto& w = o.walls;
  w.enabled = !vm["no-walls"].as<bool>();
  w.step_mm = vm["step-mm"].as<double>();
  w.section_size_mm = vm["section-size-mm"].as<double>();
  w.section_spacing_mm = vm["section-spacing-mm"].as<double>();
  w.angles = vm["angles"].as<int>();
  w.radii = vm["radii"].as<int>();
  w.max_radius_mm = vm["max-radius-mm"].as<double>();
  w.walls.edges.calcium_hu = vm["calcium-hu"].as<double>();
  w.walls.edges.wall_hu = vm["wall-hu"].as<double>();
  w.walls.smoothness = vm["smoothness"].as<int>();
  w.walls.fat_hu = vm["fat-hu"].as<double>();
  {
    const std::string em = vm["edge-model"].as<std::string>();
    if (em != "two-edge" && em != "dp") throw UsageError("vessel: --edge-model must be two-edge or dp");
    w.walls.two_edge_fit = em == "two-edge";
  }
  w.walls.edge_blur_mm = vm["edge-blur-mm"].as<double>();
  w.walls.min_wall_mm = vm["min-wall-mm"].as<double>();
  w.walls.min_edge_hu = vm["min-edge-hu"].as<double>();
  w.refine_passes = vm["refine-passes"].as<int>();
  w.flow_extensions = vm["flow-extensions"].as<double>();
  w.measure.reference_distance_mm = vm["reference-distance-mm"].as<double>();
  w.measure.reference_length_mm = vm["reference-length-mm"].as<double>();
  w.smoothing_mm = o.smoothing_mm;
  w.pictures = !vm["no-pictures"].as<bool>();
  const pipelines::VesselSummary r = pipelines::run_vessel(o, comm);
  if (comm.is_root() && w.enabled)
    std::printf("vessel: %zu of %zu cross-sections segmented; minimal lumen area %.2f mm2, lesion area stenosis %.0f %%; walls %.2f s\n",
                r.sections_segmented, r.sections, r.min_lumen_area_mm2, r.area_stenosis_pct, r.t_walls);
  if (comm.is_root())
    std::printf("vessel: centerline of %zu samples, %.1f mm; fast marching %lld voxels in %lld rounds on %d ranks; "
                "%.2f s (Frangi %.2f s, fast marching %.2f s); results in %s\n",
                r.samples, r.length_mm, static_cast<long long>(r.voxels_marched), static_cast<long long>(r.fmm_rounds),
                r.ranks, r.t_total, r.t_frangi, r.t_fmm, o.output_dir.c_str());
  return 0;
}

}  // namespace voxflow::apps
