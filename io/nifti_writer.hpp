#pragma once
// NIfTI map writing through nifti_clib, atomically (temporary name, then rename).
#include <string>
#include <vector>

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
/// Details: `path` must end in .nii or .nii.gz (gzip); the header is NIfTI-1 (vox_offset 352,
/// this CPU's byte order), scl_slope 1, xyz units mm and t units s unless copied from the
/// reference; qform from the affine with nifti_dmat44_to_quatern (the rotation part of an
/// affine with shear is approximated there; the sform is exact to float precision).
/// A non-empty reference_nifti must be a readable NIfTI file with the grid's dims (else
/// InputError). Rounding of UInt8/Int16 is half away from zero; NaN becomes 0. Every error is
/// agreed on by all ranks (collective_check), so all ranks throw; the temporary
/// "<path>.tmp-<run id>" is removed on failure. The slabs of the ranks must tile [0, nz) in rank
/// order (as make_slab does), else InternalError. Written in parallel: each rank deflates its own
/// planes as one gzip member (.nii.gz) and writes it at its offset (prefix sum of the sizes), so a
/// .nii.gz holds one gzip member per rank with planes; memory per rank: its slab encoded, plus
/// its compressed member.
void write_nifti_map(const std::string& path, const Volume3D& map, const NiftiReference& ref, MapType type,
                     const Comm& comm, const std::string& description = "", const std::string& units = "");

/// One map of write_nifti_maps: where it goes and what it is (as write_nifti_map's arguments).
struct NiftiMapOutput {
  std::string path;
  const Volume3D* map = nullptr;
  MapType type = MapType::Float32;
  std::string description;
  std::string units;
};

/// All `maps` (same slab layout, same reference) in one pass, each exactly as write_nifti_map
/// writes it: rank 0 reads the reference once and builds every header, then, for groups of maps
/// whose encoded slabs fit 256 MiB per rank, every rank deflates its planes of every map of the
/// group, one MPI_Exscan gives all offsets, every rank writes and fsyncs its members and rank 0
/// renames the group's files. Collective; 4 agreements per group instead of 6 per map, so a rank
/// that is late on one map no longer holds the others at every map. Errors as write_nifti_map (on
/// all ranks); the temporaries of maps not yet renamed are removed on failure, maps of earlier
/// groups stay (each complete). Memory per rank: one group's compressed members plus one map's
/// encoded slab.
void write_nifti_maps(const std::vector<NiftiMapOutput>& maps, const NiftiReference& ref, const Comm& comm);

}  // namespace voxflow::io
