#pragma once
// NumPy .npy writing (format version 1.0): https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// Write a whole array held by the caller (serial). `data` has prod(shape) elements;
/// fortran_order = true means the first index varies fastest. Written as "<path>.tmp-<pid>" and
/// renamed. Throws InputError when the file cannot be created, InternalError on a short write.
void write_npy(const std::string& path, const double* data, const std::vector<std::int64_t>& shape,
               bool fortran_order);
void write_npy(const std::string& path, const float* data, const std::vector<std::int64_t>& shape,
               bool fortran_order);

/// Collective: write the distributed map as one float64 array of shape [nx, ny, nz] (the original
/// tool's [x, y, z] maps, `np.load` gives that shape; stored Fortran-ordered so each rank's slab is
/// one contiguous byte range). Rank 0 creates the temporary file with the header; every rank then
/// writes its owned planes at their offset (pwrite); rank 0 renames after a barrier. An error on
/// any rank is raised on all ranks and leaves no file under `path`.
void write_npy_map(const std::string& path, const Volume3D& map, const Comm& comm);

/// The .npy header (magic, version 1.0, dict, padding to 64 bytes) for a float64 ("<f8") or
/// float32 ("<f4") array.
std::string npy_header(const std::string& descr, const std::vector<std::int64_t>& shape, bool fortran_order);

}  // namespace voxflow::io
