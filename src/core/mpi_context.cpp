#include "src/core/mpi_context.hpp"

#include <Kokkos_Core.hpp>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <cstdint>
#include <random>
#include <unistd.h>
#include <vector>

namespace voxflow {

namespace {
/// A copy of MPI_COMM_WORLD used only by agree_on_failure_within (never by the normal flow).
MPI_Comm g_failure_comm = MPI_COMM_NULL;
std::string g_run_id;

std::string make_run_id() {
  std::random_device rd;
  std::uint64_t x = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  x ^= static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  x ^= static_cast<std::uint64_t>(::getpid()) << 17;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}
}  // namespace

const std::string& run_id() {
  if (g_run_id.empty()) g_run_id = "p" + std::to_string(static_cast<long long>(::getpid()));
  return g_run_id;
}

Runtime::Runtime(int& argc, char**& argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // A failed MPI call ends the job (MPI_ERRORS_ARE_FATAL, the MPI default, set explicitly): an
  // error code that one rank would turn into an exception leaves the other ranks inside the
  // collective (docs/design.md "Failure semantics"). Input errors are agreed on before any
  // collective (collective_check); files opened with MPI-IO keep MPI_ERRORS_RETURN.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_dup(MPI_COMM_WORLD, &g_failure_comm);
  {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char id[17] = {0};
    if (rank == 0) std::snprintf(id, sizeof id, "%s", make_run_id().c_str());
    MPI_Bcast(id, 17, MPI_CHAR, 0, MPI_COMM_WORLD);
    g_run_id = id;
  }
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
  if (g_failure_comm != MPI_COMM_NULL) MPI_Comm_free(&g_failure_comm);
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

std::string Comm::gather_concat(const std::string& s, int root) const {
  const int p = size();
  int n = static_cast<int>(s.size());
  std::vector<int> counts(static_cast<size_t>(rank() == root ? p : 0)), displs(counts.size());
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm);
  std::string out;
  if (rank() == root) {
    long long total = 0;
    for (int r = 0; r < p; ++r) {
      displs[static_cast<size_t>(r)] = static_cast<int>(total);
      total += counts[static_cast<size_t>(r)];
    }
    out.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(s.data(), n, MPI_CHAR, out.data(), counts.data(), displs.data(), MPI_CHAR, root, comm);
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

bool agree_on_failure_within(const Comm& comm, bool failed, int exit_code, double timeout_s, int& lowest_rank,
                             int& agreed_code) {
  lowest_rank = -1;
  agreed_code = 0;
  if (g_failure_comm == MPI_COMM_NULL) return false;
  int cmp = MPI_UNEQUAL;
  MPI_Comm_compare(comm.comm, MPI_COMM_WORLD, &cmp);
  if (cmp != MPI_IDENT && cmp != MPI_CONGRUENT) return false;
  // lowest failing rank wins, its code rides in the low byte (exit codes are 0..255)
  const int code = exit_code & 0xff;
  int mine = failed ? comm.rank() * 256 + code : INT_MAX;
  int out = INT_MAX;
  MPI_Request req = MPI_REQUEST_NULL;
  if (MPI_Iallreduce(&mine, &out, 1, MPI_INT, MPI_MIN, g_failure_comm, &req) != MPI_SUCCESS) return false;
  const auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  while (true) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) return false;
    struct timespec ts {0, 1000000};  // 1 ms
    nanosleep(&ts, nullptr);
  }
  if (out == INT_MAX) {  // only peers took part (cannot happen in practice): keep the carried code
    lowest_rank = comm.size();
    agreed_code = code;
    return true;
  }
  lowest_rank = out / 256;
  agreed_code = out % 256;
  return true;
}

void fail_all_ranks(const std::string& what, int exit_code) {
  if (!what.empty()) std::fprintf(stderr, "voxflow: error: %s\n", what.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();
}

void abort_all(const std::string& msg, int exit_code) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::abort();
}

}  // namespace voxflow
