#include "src/pipelines/vessel_phantom_run.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/error.hpp"

namespace voxflow::pipelines {

std::string write_vessel_phantom(const std::string& dir, const vessel::VesselPhantomOptions& o, const Comm& comm) {
  vessel::VesselPhantomTruth tr;
  collective_check(comm, [&] {
    tr = vessel::vessel_phantom_truth(o);
    if (comm.is_root()) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (!std::filesystem::is_directory(dir)) throw InputError("vessel phantom: cannot create the folder " + dir);
    }
  });
  const Volume3D img = vessel::vessel_phantom_volume(tr, o, make_slab(tr.grid.nz(), comm.rank(), comm.size()));
  // int16 HU, as CT scanners store them (half the bytes to inflate of a float32 file)
  io::write_nifti_map(dir + "/cta.nii.gz", img, {tr.grid, ""}, io::MapType::Int16, comm,
                      "voxflow vessel phantom (CTA, HU)", "HU");
  auto fmt = [](double x) {
    char b[64];
    std::snprintf(b, sizeof b, "%.6f", x);
    return std::string(b);
  };
  std::ostringstream cmd;
  cmd << "voxflow vessel -i " << dir << "/cta.nii.gz --start " << fmt(tr.start_mm[0]) << "," << fmt(tr.start_mm[1])
      << "," << fmt(tr.start_mm[2]) << " --end " << fmt(tr.end_mm[0]) << "," << fmt(tr.end_mm[1]) << ","
      << fmt(tr.end_mm[2]) << " -o " << dir << "/vessel";
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::ostringstream c;
    c << "x_mm,y_mm,z_mm,arc_length_mm,radius_mm\n";
    for (size_t n = 0; n < tr.centerline_mm.size(); ++n)
      c << fmt(tr.centerline_mm[n][0]) << ',' << fmt(tr.centerline_mm[n][1]) << ',' << fmt(tr.centerline_mm[n][2])
        << ',' << fmt(tr.arc_length_mm[n]) << ',' << fmt(tr.lumen_radius_mm[n]) << '\n';
    io::write_text_atomic(dir + "/truth_centerline.csv", c.str());
    // issue 12: the walls' truth along the same centerline (the calcium's overlap with the lumen
    // is not modelled here: compare away from calcium_arc_mm)
    std::ostringstream w;
    w << "arc_length_mm,lumen_radius_mm,outer_radius_mm,lumen_area_mm2,vessel_area_mm2,area_stenosis_pct,plaque_burden_pct\n";
    const double pi = 3.14159265358979323846;
    for (size_t n = 0; n < tr.centerline_mm.size(); ++n) {
      const double rl = tr.lumen_radius_mm[n], ro = tr.outer_radius_mm[n];
      w << fmt(tr.arc_length_mm[n]) << ',' << fmt(rl) << ',' << fmt(ro) << ',' << fmt(pi * rl * rl) << ',' << fmt(pi * ro * ro)
        << ',' << fmt(100.0 * (1.0 - rl * rl / (ro * ro))) << ',' << fmt(100.0 * (1.0 - rl * rl / (ro * ro))) << '\n';
    }
    io::write_text_atomic(dir + "/truth_walls.csv", w.str());
    std::ostringstream b;
    b << "x_mm,y_mm,z_mm,radius_mm\n";
    for (size_t n = 0; n < tr.branch_centerline_mm.size(); ++n)
      b << fmt(tr.branch_centerline_mm[n][0]) << ',' << fmt(tr.branch_centerline_mm[n][1]) << ','
        << fmt(tr.branch_centerline_mm[n][2]) << ',' << fmt(tr.branch_radius_mm[n]) << '\n';
    io::write_text_atomic(dir + "/truth_branch.csv", b.str());
    std::ostringstream k;
    k << "start_mm: " << fmt(tr.start_mm[0]) << " " << fmt(tr.start_mm[1]) << " " << fmt(tr.start_mm[2]) << "\n"
      << "end_mm: " << fmt(tr.end_mm[0]) << " " << fmt(tr.end_mm[1]) << " " << fmt(tr.end_mm[2]) << "\n"
      << "start_voxel: " << tr.start_voxel[0] << " " << tr.start_voxel[1] << " " << tr.start_voxel[2] << "\n"
      << "end_voxel: " << tr.end_voxel[0] << " " << tr.end_voxel[1] << " " << tr.end_voxel[2] << "\n"
      << "spacing_mm: " << o.spacing_mm << "\n"
      << "stenosis_arc_mm: " << fmt(tr.stenosis_arc_mm) << "\n"
      << "stenosis_sigma_mm: " << fmt(tr.stenosis_sigma_mm) << "\n"
      << "calcium_arc_mm: " << fmt(tr.calcium_arc_mm) << "\n"
      << "calcium_radius_mm: " << fmt(tr.calcium_radius_mm) << "\n"
      << "command: " << cmd.str() << "\n";
    io::write_text_atomic(dir + "/clicks.txt", k.str());
  });
  return cmd.str();
}

}  // namespace voxflow::pipelines
