#pragma once
// Incremental checkpoints of voxel-wise runs. A checkpoint is a sequence of parts, each a parallel
// HDF5 file written atomically (H5ResultWriter: "<name>.tmp-<run id>", fsync, rename), so a kill -9
// during a write leaves the earlier parts intact:
//   <stem>.h5           part 0
//   <stem>.part-<k>.h5  part k = 1, 2, ...
// Part k holds the voxels finished since part k - 1: dataset "checkpoint/records" [n, 1 + maps]
// float64, column 0 the global voxel index (z * nx * ny + y * nx + x), then the voxel's value of
// every map; attributes checkpoint_fingerprint (input + options), checkpoint_part (k) and
// checkpoint_maps (the map names, comma-separated). A part's cost is that of the voxels finished
// since the last one, not of the maps' size. The decomposition is not recorded: a checkpoint can
// be resumed on another number of ranks.
#include <string>
#include <vector>

#include "src/core/grid.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// File of part `k` of the checkpoint `path` ("<dir>/checkpoint.h5"): path itself for k = 0, else
/// "<dir>/checkpoint.part-<k>.h5".
std::string checkpoint_part_path(const std::string& path, int k);

/// The parts of checkpoint `path` that exist on disk, in order 0, 1, ... up to the first missing
/// one (serial). Empty when part 0 is missing.
std::vector<std::string> checkpoint_parts(const std::string& path);

/// Collective. Writes part `k` of the checkpoint `path` with this rank's `records` (row-major,
/// width 1 + map_names.size(); any count, also 0). Throws as H5ResultWriter.
void save_checkpoint_part(const std::string& path, int k, const Grid& grid, const std::vector<std::string>& map_names,
                          const std::vector<double>& records, const std::string& fingerprint,
                          const std::string& command_line, const Comm& comm);

/// Serial. The fingerprint stored in one part. Throws InputError when `part_path` is missing or is
/// not a voxflow checkpoint part (a checkpoint of an older voxflow is refused with that message).
std::string read_checkpoint_fingerprint(const std::string& part_path);

/// Serial. The records of one part (row-major, width 1 + map_names.size()). Throws InputError when
/// the part's maps differ from `map_names` or its records have another width.
std::vector<double> read_checkpoint_records(const std::string& part_path, const std::vector<std::string>& map_names);

/// Removes every part of checkpoint `path`, also parts after a gap (rank 0 only; others do
/// nothing). Never throws.
void remove_checkpoint(const std::string& path, const Comm& comm);

}  // namespace voxflow::io
