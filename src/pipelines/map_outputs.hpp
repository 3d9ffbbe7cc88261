#pragma once
// The writers every voxel-map command shares: the output folder, the maps as NIfTI / NPY / one
// parallel HDF5 file, and checkpoints of a MapSet. All collective over comm; every file appears
// atomically (io/atomic_file.hpp, H5ResultWriter::commit).
#include <functional>
#include <string>
#include <vector>

#include "io/hdf5_results.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/map_set.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::pipelines {

/// Creates `dir` (and its parents) on rank 0. Throws InputError "cannot create output folder ..."
/// on every rank when it cannot be created.
void make_output_dir(const std::string& dir, const Comm& comm);

/// Every map of `maps` as a Volume3D (copies, halo 0), index = map index.
std::vector<Volume3D> map_volumes(const MapSet& maps);

/// Writes the maps `which` (indices into maps.specs) to "<dir>/<prefix><name>.nii.gz" on `ref`'s
/// grid (and header, when ref names a NIfTI file): float32, codes (MapSpec::is_code) as uint8; the
/// description goes into descrip, the units into the intent name.
void write_nifti_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                      const std::string& dir, const std::string& prefix, const io::NiftiReference& ref, const Comm& comm);

/// Writes the maps `which` to "<dir>/<name><suffix>" as float64 .npy arrays indexed [x, y, z].
void write_npy_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                    const std::string& dir, const std::string& suffix, const Comm& comm);

/// Writes the maps `which` to one parallel HDF5 file `path` as datasets "<group><name>" with their
/// units, the command line and the effective configuration (YAML text) as attributes, then calls
/// `extra` for command-specific attributes, and commits.
void write_hdf5_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                     const std::string& path, const std::string& group, const std::string& command_line,
                     const std::string& configuration_yaml, const std::function<void(io::H5ResultWriter&)>& extra,
                     const Comm& comm);

/// Saves every map and the done flags of `maps` to the checkpoint `path` with the run's fingerprint.
void save_map_checkpoint(const std::string& path, const MapSet& maps, const std::string& fingerprint,
                         const std::string& command_line, const Comm& comm);

/// Loads every map and the done flags of a checkpoint into `maps` after checking that its
/// fingerprint equals `fingerprint`. Throws InputError (every rank) when the checkpoint is missing,
/// belongs to another input or other options, or lacks a map.
void load_map_checkpoint(const std::string& path, MapSet& maps, const std::string& fingerprint, const Comm& comm);

}  // namespace voxflow::pipelines
