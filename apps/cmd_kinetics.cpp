#include "apps/commands.hpp"
#include "src/core/error.hpp"
namespace voxflow::apps {
int cmd_kinetics(const Args&, const Comm&) { throw UsageError("kinetics: not available yet"); }
}  // namespace voxflow::apps
