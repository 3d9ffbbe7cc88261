#pragma once
// A DICOM plan (io/dicom_layout.hpp: image info, header, ordered file list) made once, by rank 0,
// and sent to every rank of a communicator, so that a folder of single-frame files is opened and
// parsed by one process per job instead of one per rank (private to io/dicom_*.cpp).
#include <functional>
#include <string>

#include "io/dicom_layout.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::io::dicom {

/// The plan as bytes and back: every field of DicomLayout (its ImageInfo with the Grid, the
/// DicomHeader, the files in the order files[t * nz + z]), fixed-width integers and doubles in
/// the byte order of the machine (every rank of one job runs the same build). decode_layout throws
/// InternalError for bytes encode_layout did not make (truncated, trailing bytes, wrong version).
/// A field added to DicomLayout, ImageInfo, Grid or DicomHeader must be added to both.
std::string encode_layout(const DicomLayout& lay);
DicomLayout decode_layout(const std::string& bytes);

/// Collective (every rank of comm calls it, outside any collective_check): make_plan() runs on
/// rank 0 alone, inside a failure agreement (collective_check), so an InputError there is rank 0's
/// one line and the same exit code on every rank (a quiet PeerFailure), no rank left waiting; then
/// the plan is broadcast (MPI_Bcast of encode_layout's bytes) and decoded on the other ranks.
/// Returns the same plan on every rank; the other ranks open no file.
DicomLayout broadcast_layout(const Comm& comm, const std::function<DicomLayout()>& make_plan);

}  // namespace voxflow::io::dicom
