// main() of every GoogleTest executable: MPI + Kokkos up, only rank 0 prints results,
// and the exit code is failed-on-any-rank.
#include <gtest/gtest.h>

#include "src/core/mpi_context.hpp"

int main(int argc, char** argv) {
  voxflow::Runtime runtime(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  voxflow::Comm comm;
  if (!comm.is_root()) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  const bool failed = comm.any(rc != 0);
  return failed ? 1 : 0;
}
