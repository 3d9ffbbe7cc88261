#pragma once
// Parallel HDF5 result files: one file per result, every rank writing its hyperslab collectively.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// Creates `path` (as a temporary name, renamed by commit()) collectively with the MPI-IO
/// driver (file locking off). Root attributes: voxflow_version, command_line, configuration
/// (YAML/JSON text), affine (4x4 float64, RAS, voxel -> mm), spacing_mm (3), dims (x, y, z), and
/// axis_order "zyx". Each 3D map is a float32 dataset of shape [nz, ny, nx] (C order: x fastest,
/// as NIfTI), chunked by xy-plane, gzip level 1, with attribute "units"; written collectively
/// (ranks without planes take part with an empty selection). Datasets may be nested ("maps/kb").
/// Throws InputError when the folder is not writable, InternalError on any HDF5 failure.
class H5ResultWriter {
 public:
  H5ResultWriter(const std::string& path, const Grid& grid, const Comm& comm, const std::string& command_line,
                 const std::string& configuration);
  ~H5ResultWriter();  // closes and removes the temporary file if commit() was not called
  H5ResultWriter(const H5ResultWriter&) = delete;
  H5ResultWriter& operator=(const H5ResultWriter&) = delete;

  /// Collective. Writes the owned planes of map into dataset `name`.
  void write_map(const std::string& name, const Volume3D& map, const std::string& units);
  /// Collective. A string attribute on the root group (same value on all ranks).
  void write_attribute(const std::string& name, const std::string& value);
  /// Collective. A float64 vector attribute on the root group.
  void write_attribute(const std::string& name, const std::vector<double>& value);
  /// Collective. Closes the file and renames it to its final name.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Header of a voxflow HDF5 result file: grid from dims/affine/spacing attributes, the dataset
/// names (recursive), and the string attributes. Serial read on the calling rank.
struct H5FileInfo {
  Grid grid;
  std::vector<std::string> datasets;
  std::map<std::string, std::string> attributes;
};
H5FileInfo read_h5_info(const std::string& path);

/// Collective. Reads dataset `name` of a voxflow HDF5 file into the rank's slab (+ halo planes).
/// Throws InputError for a missing file/dataset or a shape that does not match the file's grid.
Volume3D read_h5_map(const std::string& path, const std::string& name, const Slab& slab, int halo, const Comm& comm);

}  // namespace voxflow::io
