#pragma once
// Keeping a failure until a collective call has been reached (docs/design.md "Failure semantics").
#include <exception>

#include "src/core/error.hpp"

namespace voxflow {

/// Runs f and keeps its exception in err with its exit code in code (an Error's code, else 1)
/// instead of letting it escape: for code that must reach a collective call first (the HDF5
/// writers' rank-0 steps, the DICOM plan broadcast).
template <class F>
void run_capturing(F&& f, std::exception_ptr& err, int& code) {
  try {
    f();
  } catch (const Error& e) {
    err = std::current_exception();
    code = e.exit_code();
  } catch (...) {
    err = std::current_exception();
    code = 1;
  }
  if (err && code == 0) code = 1;
}

}  // namespace voxflow
