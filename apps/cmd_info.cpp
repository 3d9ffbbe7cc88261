#include "apps/commands.hpp"
#include "src/core/error.hpp"
namespace voxflow::apps {
int cmd_info(const Args&, const Comm&) { throw UsageError("info: not available yet"); }
}  // namespace voxflow::apps
