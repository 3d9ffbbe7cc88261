#include "apps/commands.hpp"
#include "src/core/error.hpp"
namespace voxflow::apps {
int cmd_phantom(const Args&, const Comm&) { throw UsageError("phantom: not available yet"); }
}  // namespace voxflow::apps
