#pragma once
// Writes the CTA-like vessel phantom of src/vessel (issue 11) with its truth.
#include <string>

#include "src/core/mpi_context.hpp"
#include "src/vessel/vessel_phantom.hpp"

namespace voxflow::pipelines {

/// Writes in `dir` (created if missing): cta.nii.gz (HU, float32, oblique affine; every rank
/// generates and passes its own slab), truth_centerline.csv (x_mm,y_mm,z_mm,arc_length_mm,
/// radius_mm: the main artery's lumen, world mm), truth_branch.csv (the side branch), and
/// clicks.txt (the start and end clicks in world mm and the ready `voxflow vessel` command line).
/// Returns that command line. Collective. Throws InputError for bad options or an unwritable folder.
std::string write_vessel_phantom(const std::string& dir, const vessel::VesselPhantomOptions& options,
                                 const Comm& comm);

}  // namespace voxflow::pipelines
