#include "io/image_reader.hpp"

#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "io/nifti_reader.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

ImageFormat detect_format(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError("no such file or folder: " + path);
  if (S_ISDIR(st.st_mode)) return ImageFormat::Dicom;
  if (st.st_size == 0) throw InputError(path + " is an empty file");
  if (ends_with(path, ".nii") || ends_with(path, ".nii.gz") || ends_with(path, ".hdr")) return ImageFormat::Nifti;
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return ImageFormat::Hdf5;
  std::ifstream in(path, std::ios::binary);
  char buf[132] = {};
  in.read(buf, sizeof buf);
  const auto got = in.gcount();
  if (got >= 132 && std::memcmp(buf + 128, "DICM", 4) == 0) return ImageFormat::Dicom;
  if (got >= 8 && std::memcmp(buf, "\x89HDF\r\n\x1a\n", 8) == 0) return ImageFormat::Hdf5;
  if (got >= 4) {
    std::int32_t h = 0;
    std::memcpy(&h, buf, 4);
    if (h == 348 || h == 540) return ImageFormat::Nifti;
  }
  if (ends_with(path, ".dcm") || ends_with(path, ".DCM") || ends_with(path, ".ima")) return ImageFormat::Dicom;
  throw InputError(path + " is not a NIfTI, DICOM or HDF5 file");
}

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Nifti: return "NIfTI";
    case ImageFormat::Dicom: return "DICOM";
    case ImageFormat::Hdf5: return "HDF5";
  }
  return "?";
}

ImageInfo read_image_info(const std::string& path, ImageFormat fmt, const DicomReadOptions& dicom) {
  switch (fmt) {
    case ImageFormat::Nifti: return read_nifti_info(path);
    case ImageFormat::Dicom: return read_dicom_info(path, dicom);
    case ImageFormat::Hdf5: break;
  }
  throw InputError(path + ": an HDF5 file is not an image series input here");
}

Volume4D read_image_4d(const std::string& path, ImageFormat fmt, const Slab& slab, int halo,
                       const DicomReadOptions& dicom) {
  switch (fmt) {
    case ImageFormat::Nifti: return read_nifti_4d(path, slab, halo);
    case ImageFormat::Dicom: return read_dicom_4d(path, slab, halo, dicom);
    case ImageFormat::Hdf5: break;
  }
  throw InputError(path + ": an HDF5 file is not an image series input here");
}

ImageInfo read_image_info(const std::string& path, ImageFormat fmt, const DicomReadOptions& dicom, const Comm& comm) {
  if (fmt == ImageFormat::Dicom) return read_dicom_info(path, dicom, comm);
  ImageInfo info;
  collective_check(comm, [&] { info = read_image_info(path, fmt, dicom); });
  return info;
}

Volume4D read_image_4d(const std::string& path, ImageFormat fmt, const Slab& slab, int halo,
                       const DicomReadOptions& dicom, const Comm& comm) {
  if (fmt == ImageFormat::Nifti) return read_nifti_4d(path, slab, halo, comm);
  if (fmt == ImageFormat::Dicom) return read_dicom_4d(path, slab, halo, dicom, comm);
  Volume4D v;
  collective_check(comm, [&] { v = read_image_4d(path, fmt, slab, halo, dicom); });
  return v;
}

}  // namespace voxflow::io
