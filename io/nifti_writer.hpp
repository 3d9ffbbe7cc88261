#pragma once
// NIfTI map writing through nifti_clib, atomically (temporary name, then rename).
#include <string>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

enum class MapType { Float32, UInt8, Int16 };

/// Where a written map takes its geometry and header from.
///  grid             dims and affine (written as sform and qform, code 1 = scanner) of the map
///  reference_nifti  if non-empty, a NIfTI file whose header fields (qform/sform and codes,
///                   xyz units, pixdim, descrip, slice info) are copied so the map overlays it
struct NiftiReference {
  Grid grid;
  std::string reference_nifti;
};

/// Write the owned planes of `map` (a distributed 3D volume) to `path` (.nii or .nii.gz) as one
/// NIfTI-1 file. Collective: every rank passes its slab; rank 0 writes header and data, receiving
/// the other ranks' slabs one after another (MPI point-to-point), so no rank holds the whole
/// volume. The file is written as `path.tmp-<pid>` and renamed when complete; on failure no file
/// appears under `path`. Float32 keeps NaN; UInt8/Int16 round and clamp. `description` goes to
/// descrip (80 chars max), `units` to intent_name (16 chars max).
/// Throws InputError if the folder is not writable, InternalError on I/O failure (on all ranks).
void write_nifti_map(const std::string& path, const Volume3D& map, const NiftiReference& ref, MapType type,
                     const Comm& comm, const std::string& description = "", const std::string& units = "");

}  // namespace voxflow::io
