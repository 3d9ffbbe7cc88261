#include "io/checkpoint.hpp"

#include <fstream>

#include "io/hdf5_results.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

void save_checkpoint(const std::string& path, const std::vector<CheckpointMap>& maps, const Grid& grid,
                     const std::string& fingerprint, const std::string& command_line, const Comm& comm) {
  H5ResultWriter w(path, grid, comm, command_line, "voxflow checkpoint");
  w.write_attribute("checkpoint_fingerprint", fingerprint);
  for (const auto& m : maps) w.write_map("checkpoint/" + m.name, *m.volume, m.volume->units);
  w.commit();
}

std::string read_checkpoint_fingerprint(const std::string& path) {
  if (!std::ifstream(path)) throw InputError("no checkpoint at " + path + " (nothing to resume)");
  const H5FileInfo info = read_h5_info(path);
  auto it = info.attributes.find("checkpoint_fingerprint");
  if (it == info.attributes.end()) throw InputError(path + " is not a voxflow checkpoint");
  return it->second;
}

Volume3D load_checkpoint_map(const std::string& path, const std::string& name, const Slab& slab, const Comm& comm) {
  return read_h5_map(path, "checkpoint/" + name, slab, 0, comm);
}

}  // namespace voxflow::io
