#pragma once
// `voxflow phantom --tia`: the Lu-177 SPECT phantom of src/tia/tia_phantom.hpp written to disk.
#include <string>

#include "src/core/mpi_context.hpp"
#include "src/tia/tia_phantom.hpp"

namespace voxflow::pipelines {

/// Writes the phantom into folder `dir` (created if missing), every file atomically:
///  activity_tp{1..N}.nii.gz  float32 Bq/ml (noisy unless spec.noise == 0)
///  labels.nii.gz             uint8 PhantomLabel
///  tia_truth.nii.gz          float32 Bq*s per voxel: tia_density * voxel volume (ml) of the
///                            noiseless curve
///  phantom_organs.csv        one row per label: kinetics, parameters, TIA density, voxel count
///  tia.yaml                  voxel-mode configuration (every setting written explicitly)
///  tia_regions.yaml          region-mode configuration with a class per organ label
/// Collective over comm: each rank generates and writes its own slab (write_nifti_map).
/// Throws UsageError for an invalid spec, InputError when dir cannot be created or written.
void write_tia_phantom(const tia::TiaPhantomSpec& spec, const std::string& dir, const Comm& comm);

}  // namespace voxflow::pipelines
