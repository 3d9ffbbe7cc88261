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
  // Only the lowest failing rank reports its own error; every other rank (failed the same way
  // or not) throws a quiet PeerFailure, so the user reads one line, not one per rank.
  if (who >= 0 && who == comm.rank()) std::rethrow_exception(err);
  if (who >= 0) throw PeerFailure(who, who_code);
}

template <class F>
void collective_or_abort(const Comm& comm, F&& f) {
  std::exception_ptr err;
  int code = 0;
  std::string what;
  try {
    f();
    return;
  } catch (const PeerFailure& e) {
    err = std::current_exception();
    code = e.exit_code();
  } catch (const Error& e) {
    err = std::current_exception();
    code = e.exit_code();
    what = e.what();
  } catch (const std::exception& e) {
    err = std::current_exception();
    code = 1;
    what = std::string("internal error: ") + e.what();
  } catch (...) {
    err = std::current_exception();
    code = 1;
    what = "internal error: unknown exception";
  }
  int who = -1, who_code = 0;
  if (agree_on_failure_within(comm, !what.empty(), code, kFailureAgreementTimeoutS, who, who_code)) {
    if (who == comm.rank()) std::rethrow_exception(err);
    throw PeerFailure(who, who_code);
  }
  fail_all_ranks(what, code);
}

}  // namespace voxflow
