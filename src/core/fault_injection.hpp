#pragma once
// A testing aid: VOXFLOW_FAULT=<rank>:<stage> makes that rank fail at that stage, so the tests can
// check that a failure on one rank ends every rank quickly with one line and the documented exit
// code (docs/design.md "Failure semantics"). Inert when the variable is unset; not for production.
#include <string>

#include "src/core/mpi_context.hpp"

namespace voxflow {

/// The stages a fault can be injected at: "read" (the rank's slab of the input), "balance" (before
/// the work items are spread over the ranks), "fit" (inside the chunked compute loop), "checkpoint"
/// (before a checkpoint is written), "write" (before the outputs are written).
bool is_fault_stage(const std::string& stage);

/// Throws InternalError("injected fault at stage '<stage>' on rank <r> (VOXFLOW_FAULT)"), exit
/// code 1, on the rank VOXFLOW_FAULT names when `stage` is its stage; otherwise does nothing. Not
/// collective (the point is that the other ranks do not know). Throws UsageError when VOXFLOW_FAULT
/// is set but is not "<rank>:<stage>" with a known stage.
void fault_point(const char* stage, const Comm& comm);

}  // namespace voxflow
