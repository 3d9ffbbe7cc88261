#pragma once
// One entry point for the image formats voxflow reads: picks NIfTI, DICOM or voxflow HDF5.
#include <string>

#include "io/dicom_reader.hpp"
#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

enum class ImageFormat { Nifti, Dicom, Hdf5 };

/// Format of `path`: a folder is a DICOM series; .nii / .nii.gz / .hdr NIfTI; .h5 / .hdf5 HDF5;
/// otherwise the file's magic ("DICM" at byte 128, the HDF5 signature, a NIfTI sizeof_hdr of 348
/// or 540). Throws InputError for a missing path, an empty file, or an unknown format.
ImageFormat detect_format(const std::string& path);
const char* format_name(ImageFormat f);

/// Header of a NIfTI or DICOM image (HDF5 info: read_h5_info).
ImageInfo read_image_info(const std::string& path, ImageFormat fmt, const DicomReadOptions& dicom = {});

/// The rank's slab (+ halo planes) of a NIfTI or DICOM series as [x, y, z, t] float32.
Volume4D read_image_4d(const std::string& path, ImageFormat fmt, const Slab& slab, int halo,
                       const DicomReadOptions& dicom = {});

/// Collective forms (call them on every rank, outside any collective_check; failures are agreed on
/// inside, an InputError is one line and exit 2 on every rank): NIfTI through the collective
/// read_nifti_4d (a one-stream .nii.gz is inflated once, by rank 0, and streamed to the ranks);
/// DICOM through the collective read_dicom_info / read_dicom_4d (a folder is scanned once, by
/// rank 0, and the plan broadcast; each rank then opens only the files of its slab planes). The
/// NIfTI header is read on every rank (one small read); HDF5 is refused on every rank.
ImageInfo read_image_info(const std::string& path, ImageFormat fmt, const DicomReadOptions& dicom, const Comm& comm);
Volume4D read_image_4d(const std::string& path, ImageFormat fmt, const Slab& slab, int halo,
                       const DicomReadOptions& dicom, const Comm& comm);

}  // namespace voxflow::io
