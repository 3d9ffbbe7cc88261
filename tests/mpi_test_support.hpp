#pragma once
// Helpers shared by the MPI GoogleTest files (tests/test_mpi_*.cpp).
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "src/core/mpi_context.hpp"

namespace voxflow::testing {

/// A fresh folder made by rank 0 under /tmp (name "<prefix>-XXXXXX"), its name known to every
/// rank; rank 0 removes it at the end, after a barrier. Throws std::runtime_error when mkdtemp
/// fails on rank 0 (on every rank: the name is broadcast).
struct SharedTempDir {
  Comm comm;
  std::string path;
  explicit SharedTempDir(const std::string& prefix = "voxflow-mpi-test") {
    std::string p;
    if (comm.is_root()) {
      std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
      const char* d = ::mkdtemp(tmpl.data());
      p = d ? d : "";
    }
    path = comm.broadcast(p);
    if (path.empty()) throw std::runtime_error("mkdtemp failed on rank 0");
  }
  ~SharedTempDir() {
    comm.barrier();
    if (comm.is_root()) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  }
  SharedTempDir(const SharedTempDir&) = delete;
  SharedTempDir& operator=(const SharedTempDir&) = delete;
};

}  // namespace voxflow::testing
