#pragma once
// NIfTI-1 / NIfTI-2 reading (.nii, .nii.gz) through nifti_clib (nifti2_io.h).
#include <string>

#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// Header only: dims (nt = dim[4], 1 for 3D), spacing (pixdim, mm), affine (sform when
/// sform_code > 0, else qform, else pixdim scaling), datatype, scl_slope/inter, frame times
/// (pixdim[4] in xyzt units converted to seconds; empty for 3D). Throws InputError naming the
/// path for a missing/unreadable/non-NIfTI file or unsupported datatype (supported: uint8,
/// int16, uint16, int32, float32, float64).
/// Details: the content decides (gzip magic, NIfTI-1/-2 header, either byte order), not the file
/// name; a .hdr of a two-file pair reads its .img. ANALYZE 7.5 (no NIfTI magic) and 5D+ images
/// are InputErrors. xyz units meter/micron scale spacing AND affine to mm (unknown = mm); time
/// units s/ms/us (unknown = s) give frame_times_s = t * pixdim[4]; pixdim[4] <= 0 or a non-time
/// unit (Hz, ppm, rad/s) gives none. An uncompressed file shorter than vox_offset + its voxel
/// bytes is an InputError here already (a .nii.gz is checked when its voxels are read).
/// The data offset follows nifti_clib: vox_offset, but at least the header size.
ImageInfo read_nifti_info(const std::string& path);

/// The rank's slab (plus `halo` planes each side, where they exist) of a 3D or 4D file as
/// float32 with scl_slope/scl_inter applied (slope 0 means none). A 3D file gives nt = 1.
/// Reads only the planes it needs: znzseek/znzread of the byte range of planes
/// [z0 - halo, z0 + nz + halo) clipped to [0, nz_global), for every time point; halo planes
/// outside the volume hold 0. Values are value * scl_slope + scl_inter in double, then float.
/// Throws InputError as read_nifti_info, or when the file is shorter than its header says (every
/// rank, not only the one whose planes are missing): a .nii.gz that voxflow wrote (indexed gzip
/// members, io/gzip_index.hpp) is checked from its member chain without inflating, and each rank
/// inflates only the members that hold its planes; any other .nii.gz is decompressed by every
/// rank up to the last voxel byte. InternalError when `slab` was made
/// for another nz or halo < 0. Not collective: no MPI call.
Volume4D read_nifti_4d(const std::string& path, const Slab& slab, int halo);

/// Same for a 3D volume (a 4D file with nt > 1 is an InputError).
Volume3D read_nifti_3d(const std::string& path, const Slab& slab, int halo);

/// Collective versions (every rank of comm calls them, outside any collective_check; they agree
/// on every failure themselves): the same volumes and the same errors as above, on every rank.
/// A .nii.gz that is one gzip stream (written by nibabel, dcm2niix, gzip: not voxflow's indexed
/// gzip) is inflated once: rank 0 reads the stream from the first to the last voxel byte in
/// pieces of whole planes (~4 MiB) and sends each rank the raw planes it reads (MPI point to
/// point, in (t, z) order; memory per rank: its slab plus one piece), instead of every rank
/// inflating the stream to its end. A truncated or corrupt stream found by rank 0 reaches the
/// others as a failure message and then the agreement: every rank throws (rank 0 the InputError,
/// the others PeerFailure), none waits. Plain files, indexed gzip and 1 rank read as above.
Volume4D read_nifti_4d(const std::string& path, const Slab& slab, int halo, const Comm& comm);
Volume3D read_nifti_3d(const std::string& path, const Slab& slab, int halo, const Comm& comm);

}  // namespace voxflow::io
