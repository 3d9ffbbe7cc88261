#pragma once
// `voxflow phantom`: the kinetics digital reference object (src/kinetics/phantom.hpp) on disk.
#include <string>

#include "src/core/mpi_context.hpp"
#include "src/kinetics/phantom.hpp"

namespace voxflow::pipelines {

/// Writes into `dir` (created): phantom.dcm (multi-frame DICOM, frame = t * nz + z, uint16 with
/// RescaleSlope 0.1, timing tags), times_s.txt, truth/<param>_true.nii.gz and _true.npy (kb, kd,
/// knt, A0, A1, A2, t0, tmax) and truth/region.nii.gz (0 background, 1 muscle, 2 tumour).
/// Collective: the DICOM is written by rank 0, the truth maps slab by slab.
/// Throws UsageError for an invalid spec, InputError when dir cannot be created.
void write_kinetics_phantom(const kinetics::PhantomSpec& spec, const std::string& dir, const Comm& comm);

}  // namespace voxflow::pipelines
