#pragma once
// Checkpoints of voxel-wise runs: the finished maps, which voxels are done, and the fingerprint of
// the input and options they belong to, in one parallel HDF5 file (written atomically).
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

struct CheckpointMap {
  std::string name;
  const Volume3D* volume;  // owned planes are saved
};

/// Collective. Write `maps` (float32, exactly as held, NaN included) and the fingerprint to `path`
/// (HDF5, "<path>.tmp-<pid>" renamed when complete, so a kill -9 during the write leaves the
/// previous checkpoint intact). The decomposition is not recorded: a checkpoint can be resumed on
/// another number of ranks. Throws as H5ResultWriter.
void save_checkpoint(const std::string& path, const std::vector<CheckpointMap>& maps, const Grid& grid,
                     const std::string& fingerprint, const std::string& command_line, const Comm& comm);

/// The fingerprint stored in a checkpoint. Throws InputError when `path` is missing or is not a
/// voxflow checkpoint.
std::string read_checkpoint_fingerprint(const std::string& path);

/// Collective. One saved map, for the rank's slab (halo 0). Throws InputError when missing.
Volume3D load_checkpoint_map(const std::string& path, const std::string& name, const Slab& slab, const Comm& comm);

}  // namespace voxflow::io
