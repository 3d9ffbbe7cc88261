#pragma once
// `voxflow info` as a library call: what an image is (header) and, optionally, its value range
// read slab by slab over the ranks.
#include <string>

#include "io/dicom_reader.hpp"
#include "io/hdf5_results.hpp"
#include "io/image_info.hpp"
#include "io/image_reader.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::pipelines {

struct ImageSummary {
  io::ImageFormat format{};
  io::ImageInfo info;     // NIfTI / DICOM: header, grid, frame times
  io::H5FileInfo h5;      // voxflow HDF5: grid, datasets, attributes
  bool has_range = false;
  double min = 0, max = 0;          // over the finite values of every voxel and frame
  long long non_finite = 0;         // NaN / inf values
};

/// Collective over comm. Reads the header of `path` (NIfTI, DICOM file or folder, voxflow HDF5;
/// `slices` = slices per time point of a multi-frame DICOM whose tags do not say, 0 = from the
/// tags) and, when `with_range` (not for HDF5), the value range, each rank reading its z-slab.
/// Throws InputError (every rank) for a missing or unreadable file.
ImageSummary describe_image(const std::string& path, int slices, bool with_range, const Comm& comm);

}  // namespace voxflow::pipelines
