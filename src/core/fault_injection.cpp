#include "src/core/fault_injection.hpp"

#include <cstdlib>

#include "src/core/error.hpp"

namespace voxflow {

bool is_fault_stage(const std::string& stage) {
  return stage == "read" || stage == "balance" || stage == "fit" || stage == "checkpoint" || stage == "write";
}

void fault_point(const char* stage, const Comm& comm) {
  const char* env = std::getenv("VOXFLOW_FAULT");
  if (env == nullptr || *env == '\0') return;
  const std::string spec(env);
  const auto colon = spec.find(':');
  int rank = -1;
  std::string want;
  if (colon != std::string::npos && colon > 0) {
    want = spec.substr(colon + 1);
    try {
      std::size_t used = 0;
      rank = std::stoi(spec.substr(0, colon), &used);
      if (used != colon) rank = -1;
    } catch (const std::exception&) {
      rank = -1;
    }
  }
  if (rank < 0 || !is_fault_stage(want))
    throw UsageError("VOXFLOW_FAULT='" + spec + "' is not <rank>:<stage> with stage read, balance, fit, checkpoint or write");
  if (rank == comm.rank() && want == stage)
    throw InternalError("injected fault at stage '" + want + "' on rank " + std::to_string(rank) + " (VOXFLOW_FAULT)");
}

}  // namespace voxflow
