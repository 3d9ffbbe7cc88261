#pragma once
// The writers every voxel-map command shares: the output folder, the maps as NIfTI / NPY / one
// parallel HDF5 file, and checkpoints of a MapSet. All collective over comm; every file appears
// atomically (io/atomic_file.hpp, H5ResultWriter::commit).
#include <cstdint>
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
/// description goes into descrip, the units into the intent name. All maps in one pass
/// (io::write_nifti_maps: one header pass, one prefix sum and one rename round per group of maps).
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

/// The incremental checkpoint of a MapSet (io/checkpoint.hpp): its parts on disk and which owned
/// voxels are already saved in one.
struct MapCheckpoint {
  std::string path;                  // part 0, e.g. "<output>/checkpoint.h5"
  std::string fingerprint;           // of input + options
  std::string command_line;
  int next_part = 0;
  std::vector<std::uint8_t> saved;   // owned voxel -> in a part already, or derived again on resume
};

/// Collective. A checkpoint for a fresh run: removes every part of an earlier checkpoint at `path`
/// (rank 0); the voxels already done in `maps` (final without a fit, e.g. outside the mask) count
/// as saved, since a resume derives them again from the input and options.
MapCheckpoint start_map_checkpoint(const std::string& path, const std::string& fingerprint,
                                   const std::string& command_line, const MapSet& maps, const Comm& comm);

/// Collective. A checkpoint resumed: checks that every part at `path` carries `fingerprint`, then
/// puts each part's records that fall in this rank's slab into `maps` and marks them done (`maps`
/// holds the fresh run's initial state). Every rank reads every part (serial HDF5; memory: the
/// largest part's records). Throws InputError on every rank when part 0 is missing, a part was
/// made from another input or other options, or holds other maps.
MapCheckpoint resume_map_checkpoint(const std::string& path, const std::string& fingerprint,
                                    const std::string& command_line, MapSet& maps, const Comm& comm);

/// Collective. Writes the next part: the voxels done in `maps` and not saved yet (so its cost
/// follows the voxels finished since the last part, not the maps' size); marks them saved.
/// Returns the part's file name.
std::string save_map_checkpoint(MapCheckpoint& ck, const MapSet& maps, const Comm& comm);

}  // namespace voxflow::pipelines
