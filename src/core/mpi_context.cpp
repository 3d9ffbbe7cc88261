#include "src/core/mpi_context.hpp"

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace voxflow {

Runtime::Runtime(int& argc, char**& argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // Errors from MPI calls come back as codes that voxflow turns into exceptions.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  // Kokkos sees only its own --kokkos-* options: its initialize() would print its help for
  // voxflow's --help and warn about the other options.
  std::vector<char*> kargs{argv[0]};
  bool warnings_option = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--kokkos", 8) == 0) {
      kargs.push_back(argv[i]);
      warnings_option = warnings_option || std::strstr(argv[i], "warnings") != nullptr;
    }
  // Kokkos' start-up warnings (e.g. threads oversubscribing the cores when ranks share a node)
  // reach a user's stderr only when asked for: KOKKOS_DISABLE_WARNINGS=0 or a --kokkos-*warnings*
  // option (Kokkos 3.4 and 4.x both refuse the flag when it contradicts the variable).
  static char disable_warnings[] = "--kokkos-disable-warnings";
  if (!warnings_option && std::getenv("KOKKOS_DISABLE_WARNINGS") == nullptr) kargs.push_back(disable_warnings);
  int kargc = static_cast<int>(kargs.size());
  kargs.push_back(nullptr);
  char** kargv = kargs.data();
  Kokkos::initialize(kargc, kargv);
}

Runtime::~Runtime() {
  Kokkos::finalize();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

int Comm::rank() const {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
int Comm::size() const {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}
void Comm::barrier() const { MPI_Barrier(comm); }
bool Comm::any(bool flag) const {
  int in = flag ? 1 : 0, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm);
  return out != 0;
}
bool Comm::all(bool flag) const {
  int in = flag ? 1 : 0, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, comm);
  return out != 0;
}
double Comm::sum(double v) const {
  double out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_SUM, comm);
  return out;
}
long long Comm::sum(long long v) const {
  long long out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_LONG_LONG, MPI_SUM, comm);
  return out;
}
double Comm::max(double v) const {
  double out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, comm);
  return out;
}
double Comm::min(double v) const {
  double out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MIN, comm);
  return out;
}
std::string Comm::broadcast(const std::string& s, int root) const {
  long long n = static_cast<long long>(s.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, root, comm);
  std::string out = (rank() == root) ? s : std::string(static_cast<size_t>(n), '\0');
  if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, root, comm);
  return out;
}

namespace detail {
std::pair<int, int> agree_on_failure(const Comm& comm, bool failed, int exit_code) {
  // lowest failing rank wins; its exit code is broadcast with it
  int mine[2] = {failed ? comm.rank() : comm.size(), failed ? exit_code : 0};
  int lowest = 0;
  MPI_Allreduce(&mine[0], &lowest, 1, MPI_INT, MPI_MIN, comm.comm);
  if (lowest >= comm.size()) return {-1, 0};
  int code = (comm.rank() == lowest) ? exit_code : 0;
  MPI_Bcast(&code, 1, MPI_INT, lowest, comm.comm);
  return {lowest, code};
}
}  // namespace detail

void abort_all(const std::string& msg, int exit_code) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();
}

}  // namespace voxflow
