#pragma once
// NIfTI-1 / NIfTI-2 reading (.nii, .nii.gz) through nifti_clib (nifti2_io.h).
#include <string>

#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"

namespace voxflow::io {

/// Header only: dims (nt = dim[4], 1 for 3D), spacing (pixdim, mm), affine (sform when
/// sform_code > 0, else qform, else pixdim scaling), datatype, scl_slope/inter, frame times
/// (pixdim[4] in xyzt units converted to seconds; empty for 3D). Throws InputError naming the
/// path for a missing/unreadable/non-NIfTI file or unsupported datatype (supported: uint8,
/// int16, uint16, int32, float32, float64).
ImageInfo read_nifti_info(const std::string& path);

/// The rank's slab (plus `halo` planes each side, where they exist) of a 3D or 4D file as
/// float32 with scl_slope/scl_inter applied (slope 0 means none). A 3D file gives nt = 1.
/// Reads only the planes it needs (nifti_read_subregion_image / collapsed reads).
/// Throws InputError as read_nifti_info, or when the file is shorter than its header says.
Volume4D read_nifti_4d(const std::string& path, const Slab& slab, int halo);

/// Same for a 3D volume (a 4D file with nt > 1 is an InputError).
Volume3D read_nifti_3d(const std::string& path, const Slab& slab, int halo);

}  // namespace voxflow::io
