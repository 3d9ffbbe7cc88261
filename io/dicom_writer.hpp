#pragma once
// DICOM writing through DCMTK: a multi-frame MR file (the phantom, tests) and map export as
// a series of single-frame secondary-capture/MR images for PACS.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/grid.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io {

/// Write one multi-frame DICOM (MR Image Storage, explicit VR little endian, uncompressed)
/// holding nt time points of nz slices each, frame f = t * nz + z (the kinetics scanner's
/// layout). pixels: uint16 [t][z][y][x] (x fastest), size nx*ny*nz*nt. Tags written: Rows,
/// Columns, NumberOfFrames, PixelSpacing, SliceThickness, SpacingBetweenSlices,
/// ImageOrientationPatient, ImagePositionPatient (of slice 0, LPS), RescaleSlope/Intercept,
/// NumberOfTemporalPositions (= nt), NumberOfSlices (0054,0081) = nz, FrameTime (ms) and
/// FrameTimeVector, RepetitionTime, patient/study/series identifiers. Serial (call on one rank).
/// Throws InternalError when DCMTK cannot write the file; file appears atomically.
void write_dicom_multiframe(const std::string& path, const Grid& grid, const std::vector<std::uint16_t>& pixels,
                            double frame_interval_s, double rescale_slope = 1.0, double rescale_intercept = 0.0,
                            const std::string& series_description = "voxflow");

/// Export a distributed float map as a DICOM series in folder `dir` (created; one file per
/// slice, <name>_<z>.dcm), 16-bit signed with RescaleSlope/Intercept chosen from the map's
/// global finite range so a viewer shows true values (NaN written as the minimum stored value
/// and listed in the description). Geometry (position, orientation, spacing) from the grid's
/// affine. Collective: each rank writes its own slices. Throws InternalError on write failure.
void write_dicom_map_series(const std::string& dir, const std::string& name, const Volume3D& map,
                            const std::string& units, const Comm& comm);

}  // namespace voxflow::io
