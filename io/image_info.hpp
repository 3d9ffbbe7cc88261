#pragma once
// What a reader knows about an image before (or without) reading its voxels.
#include <string>
#include <vector>

#include "src/core/grid.hpp"

namespace voxflow::io {

struct ImageInfo {
  std::string path;
  std::string format;                 // "NIfTI-1", "NIfTI-2", "DICOM multi-frame", "DICOM series", "voxflow HDF5"
  Grid grid;                          // dims, nt, spacing_mm, affine (RAS)
  std::string datatype;               // on-disk type: "uint8", "int16", "uint16", "int32", "float32", "float64"
  std::vector<double> frame_times_s;  // per time point, seconds from the first frame; empty when unknown
  double rescale_slope = 1.0;         // scl_slope / RescaleSlope (applied by the readers)
  double rescale_intercept = 0.0;
  std::string description;            // free text (descrip, SeriesDescription)
};

}  // namespace voxflow::io
