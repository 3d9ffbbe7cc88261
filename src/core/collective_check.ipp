#pragma once
#include <exception>
#include <string>

#include "src/core/error.hpp"

namespace voxflow {

namespace detail {
/// Agree on failure: returns (failing rank or -1, its exit code). Collective.
std::pair<int, int> agree_on_failure(const Comm& comm, bool failed, int exit_code);
}  // namespace detail

template <class F>
void collective_check(const Comm& comm, F&& f) {
  std::exception_ptr err;
  int code = 0;
  try {
    f();
  } catch (const Error& e) {
    err = std::current_exception();
    code = e.exit_code();
  } catch (...) {
    err = std::current_exception();
    code = 1;
  }
  auto [who, who_code] = detail::agree_on_failure(comm, static_cast<bool>(err), code);
  if (err) std::rethrow_exception(err);
  if (who >= 0) {
    const std::string msg = "rank " + std::to_string(who) + " failed (see its message)";
    // Quiet follower: main() prints only the root's message or the failing rank's own.
    throw Error(msg, who_code);
  }
}

}  // namespace voxflow
