#pragma once
// Parallel HDF5 result files: one file per result, every rank writing its hyperslab collectively.
// Implementation notes (HDF5 1.10.8, Debian libhdf5-openmpi-dev; DESIGN.md "Portability notes"):
// filtered (gzip) datasets are written with collective transfer by every rank, a rank without
// planes taking part with an empty selection (H5Sselect_none on file and memory space).
// HDF5's automatic error printing is switched off; every failing HDF5 call becomes an exception
// whose message carries HDF5's own innermost error description.
#include <cstdint>
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
///
/// Details:
///  - The temporary name is "<path>.tmp-<pid of rank 0>" (one name for all ranks); the file
///    format is the HDF5 1.8 one (readable by HDF5 >= 1.8, h5py), so that attributes larger
///    than 64 KiB (a long configuration) are allowed.
///  - Attribute types: strings are fixed-length, NUL-terminated, UTF-8 (h5py reads them as
///    bytes); dims is int64 [nx, ny, nz]; affine float64 [4, 4]; spacing_mm float64 [3].
///  - String values, the grid, command_line and configuration are taken from rank 0 (broadcast),
///    so that every rank writes identical metadata.
///  - Every member function (and the destructor) is collective over the communicator: all ranks
///    call it, in the same order. A failure that can happen on one rank only (a volume on the
///    wrong grid, an allocation) is agreed on first (voxflow::collective_check), so all ranks
///    throw and none is left waiting: the (lowest) failing rank throws the error named below,
///    every other rank a PeerFailure with the same exit code (one error line per failure).
///    Checks of the path (folder missing or not writable) are made by rank 0.
/// How an H5ResultWriter writes its file (the file is the same either way).
///  Parallel      every rank opens the file (MPI-IO driver) and writes its hyperslab collectively
///                (HDF5 deflates the chunks each rank writes). Checkpoints use it: nothing is
///                gathered.
///  ChunksToRoot  rank 0 alone holds the file (HDF5's serial driver). write_map: every rank
///                deflates its own planes as the dataset's chunks (zlib, the bytes HDF5's deflate
///                filter stores) and sends them to rank 0, one rank after another, which stores
///                them with H5Dwrite_chunk; write_rows gathers the rows on rank 0. The deflate
///                runs on all ranks at once as in Parallel, but a map costs two messages per rank
///                instead of HDF5's collective metadata and MPI-IO exchanges (about ten
///                synchronisations per map in 1.10), which dominated the write on ranks sharing
///                cores. Rank 0 holds one rank's compressed slab at a time. Result maps use it.
enum class H5WriteMode { Parallel, ChunksToRoot };

class H5ResultWriter {
 public:
  H5ResultWriter(const std::string& path, const Grid& grid, const Comm& comm, const std::string& command_line,
                 const std::string& configuration, H5WriteMode mode = H5WriteMode::Parallel);
  /// Collective. Closes and removes the temporary file if commit() was not called; never throws.
  ~H5ResultWriter();
  H5ResultWriter(const H5ResultWriter&) = delete;
  H5ResultWriter& operator=(const H5ResultWriter&) = delete;

  /// Collective. Writes the owned planes of map into dataset `name` (halo planes are skipped).
  /// map must live on the writer's grid (same dims) with this rank's slab of it.
  /// Throws InternalError for a map on another grid/slab (on every rank), an existing dataset of
  /// that name, or an HDF5 failure.
  void write_map(const std::string& name, const Volume3D& map, const std::string& units);
  /// Collective. A string attribute on the root group (same value on all ranks; rank 0's is
  /// written). An existing attribute of that name is replaced.
  void write_attribute(const std::string& name, const std::string& value);
  /// Collective. A float64 vector attribute on the root group (rank 0's values are written).
  void write_attribute(const std::string& name, const std::vector<double>& value);
  /// Collective. An auxiliary 1D float64 dataset [n] (e.g. the kinetics checkpoint's list of
  /// finished chunks or frame times). Only rank 0's `values` are used (other ranks may pass an
  /// empty vector); n may be 0. Intermediate groups are created ("checkpoint/done").
  /// Read back with read_h5_vector. Throws InternalError for an existing dataset or HDF5 failure.
  void write_vector(const std::string& name, const std::vector<double>& values);
  /// Collective. An auxiliary 2D float64 dataset [rows, cols] from rank 0's `values` in row-major
  /// (C) order; rows * cols must equal values.size() on rank 0 (else InternalError on all ranks).
  void write_matrix(const std::string& name, const std::vector<double>& values, std::int64_t rows,
                    std::int64_t cols);
  /// Collective. A 2D float64 dataset [N, width] of the rows every rank holds (`rows`: this rank's
  /// rows, row-major, rows.size() a multiple of width; any count, also 0), in rank order: rank r's
  /// rows start at the sum of the counts of ranks < r (MPI_Exscan), written in parallel,
  /// uncompressed. Throws InternalError (every rank) when width < 1 or a size is not a multiple.
  void write_rows(const std::string& name, const std::vector<double>& rows, std::int64_t width);
  /// Collective. Closes the file and renames it to its final name (rank 0, after a barrier).
  /// Throws InternalError when called twice or when the rename fails (on every rank).
  void commit();

 private:
  struct Impl;
  static void write_map_chunks_to_root(Impl& im, const std::string& name, const std::string& units, const float* owned,
                                       const Slab& s);
  std::unique_ptr<Impl> impl_;
};

/// Header of a voxflow HDF5 result file: grid from dims/affine/spacing attributes, the dataset
/// names (recursive), and the string attributes. Serial read on the calling rank.
/// grid.nt is 1; a file without affine gets the scaling affine of spacing_mm, one without
/// spacing_mm the column norms of the affine. datasets are full paths without leading '/'
/// ("maps/kb"), in HDF5's name order. attributes holds every scalar string attribute of the
/// root group (voxflow_version, command_line, configuration, axis_order, ...).
/// Throws InputError naming the path for a missing file, a file that is not HDF5, or one
/// without a valid int64 [3] "dims" attribute.
struct H5FileInfo {
  Grid grid;
  std::vector<std::string> datasets;
  std::map<std::string, std::string> attributes;
};
H5FileInfo read_h5_info(const std::string& path);

/// Collective. Reads dataset `name` of a voxflow HDF5 file into the rank's slab (+ halo planes).
/// Throws InputError for a missing file/dataset or a shape that does not match the file's grid.
/// The returned volume lives on the file's grid (read_h5_info) with the given slab and halo;
/// halo planes that exist in the file are read too, those outside the volume hold 0. Any
/// numeric dataset type is converted to float32; units come from the dataset's "units"
/// attribute ("" when absent). slab.nz_global must equal the file's nz (InputError otherwise:
/// the map belongs to another image). File, dataset and shape are checked by rank 0; errors
/// are raised on every rank: the error itself on rank 0 (or the lowest failing rank), a
/// PeerFailure with the same exit code on the others.
Volume3D read_h5_map(const std::string& path, const std::string& name, const Slab& slab, int halo, const Comm& comm);

/// Serial. Reads a 1D or 2D numeric dataset (write_vector / write_matrix) as float64, flattened
/// in row-major (C) order; when shape is given it receives the dataset's dimensions ([n] or
/// [rows, cols]). Throws InputError naming the file and dataset for a missing file or dataset,
/// a non-HDF5 file, or a dataset that is not 1D/2D numeric.
std::vector<double> read_h5_vector(const std::string& path, const std::string& name,
                                   std::vector<std::int64_t>* shape = nullptr);

}  // namespace voxflow::io
