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
/// rank 0 alone; one broadcast (MPI_Bcast of the size, then of the bytes) sends every rank either
/// the plan (encode_layout's bytes) or rank 0's failure. A failure is thereby agreed on without a
/// further collective: rank 0 rethrows its error (an InputError: the one line the user reads, exit
/// 2), the others throw a quiet PeerFailure with its exit code; no rank is left waiting. Bytes that
/// do not decode (only a bug can make them) end the job with MPI_Abort (exit 1). Returns the same
/// plan on every rank; the other ranks open no file.
DicomLayout broadcast_layout(const Comm& comm, const std::function<DicomLayout()>& make_plan);

}  // namespace voxflow::io::dicom
