// Uses the installed headers and library: decomposes 9 planes over 2 ranks and prints rank 1's slab.
#include <cstdio>

#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"
#include "voxflow/version.hpp"

int main(int argc, char** argv) {
  voxflow::Runtime runtime(argc, argv);
  const voxflow::Slab s = voxflow::make_slab(9, 1, 2);
  std::printf("voxflow %s slab z0=%lld nz=%lld\n", voxflow::kVersion, static_cast<long long>(s.z0),
              static_cast<long long>(s.nz));
  return (s.z0 == 5 && s.nz == 4) ? 0 : 1;
}
