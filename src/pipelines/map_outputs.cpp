#include "src/pipelines/map_outputs.hpp"

#include <filesystem>

#include "io/checkpoint.hpp"
#include "io/npy_writer.hpp"
#include "src/core/error.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {

void make_output_dir(const std::string& dir, const Comm& comm) {
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
      throw InputError("cannot create output folder " + dir + (ec ? ": " + ec.message() : std::string(": not a folder")));
  });
}

std::vector<Volume3D> map_volumes(const MapSet& maps) {
  std::vector<Volume3D> v;
  v.reserve(maps.specs.size());
  for (int m = 0; m < maps.count(); ++m) v.push_back(maps.map(m));
  return v;
}

void write_nifti_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                      const std::string& dir, const std::string& prefix, const io::NiftiReference& ref, const Comm& comm) {
  for (int m : which) {
    const MapSpec& s = maps.specs[static_cast<size_t>(m)];
    io::write_nifti_map((fs::path(dir) / (prefix + s.name + ".nii.gz")).string(), vols[static_cast<size_t>(m)], ref,
                        s.is_code ? io::MapType::UInt8 : io::MapType::Float32, comm, s.description, s.units);
  }
}

void write_npy_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                    const std::string& dir, const std::string& suffix, const Comm& comm) {
  for (int m : which)
    io::write_npy_map((fs::path(dir) / (maps.specs[static_cast<size_t>(m)].name + suffix)).string(),
                      vols[static_cast<size_t>(m)], comm);
}

void write_hdf5_maps(const MapSet& maps, const std::vector<Volume3D>& vols, const std::vector<int>& which,
                     const std::string& path, const std::string& group, const std::string& command_line,
                     const std::string& configuration_yaml, const std::function<void(io::H5ResultWriter&)>& extra,
                     const Comm& comm) {
  io::H5ResultWriter h5(path, maps.layout.grid, comm, command_line, configuration_yaml);
  for (int m : which)
    h5.write_map(group + maps.specs[static_cast<size_t>(m)].name, vols[static_cast<size_t>(m)],
                 maps.specs[static_cast<size_t>(m)].units);
  if (extra) extra(h5);
  h5.commit();
}

void save_map_checkpoint(const std::string& path, const MapSet& maps, const std::string& fingerprint,
                         const std::string& command_line, const Comm& comm) {
  std::vector<Volume3D> vols = map_volumes(maps);
  vols.push_back(maps.done_map());
  std::vector<io::CheckpointMap> list;
  for (int m = 0; m < maps.count(); ++m) list.push_back({maps.specs[static_cast<size_t>(m)].name, &vols[static_cast<size_t>(m)]});
  list.push_back({"done", &vols.back()});
  io::save_checkpoint(path, list, maps.layout.grid, fingerprint, command_line, comm);
}

void load_map_checkpoint(const std::string& path, MapSet& maps, const std::string& fingerprint, const Comm& comm) {
  collective_check(comm, [&] {
    const std::string have = io::read_checkpoint_fingerprint(path);
    if (have != fingerprint)
      throw InputError("checkpoint " + path + " was made from another input or other options (fingerprint " + have +
                       ", this run " + fingerprint + "); remove it or start without --resume");
  });
  collective_check(comm, [&] {
    for (int m = 0; m < maps.count(); ++m)
      maps.set_map(m, io::load_checkpoint_map(path, maps.specs[static_cast<size_t>(m)].name, maps.layout.slab, comm));
    maps.set_done(io::load_checkpoint_map(path, "done", maps.layout.slab, comm));
  });
}

}  // namespace voxflow::pipelines
