#include "src/pipelines/map_outputs.hpp"

#include <filesystem>

#include "io/checkpoint.hpp"
#include "io/npy_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/fault_injection.hpp"

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
  std::vector<io::NiftiMapOutput> out;
  out.reserve(which.size());
  for (int m : which) {
    const MapSpec& s = maps.specs[static_cast<size_t>(m)];
    out.push_back({(fs::path(dir) / (prefix + s.name + ".nii.gz")).string(), &vols[static_cast<size_t>(m)],
                   s.is_code ? io::MapType::UInt8 : io::MapType::Float32, s.description, s.units});
  }
  io::write_nifti_maps(out, ref, comm);  // all maps in one pass
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
  io::H5ResultWriter h5(path, maps.layout.grid, comm, command_line, configuration_yaml, io::H5WriteMode::ChunksToRoot);
  for (int m : which)
    h5.write_map(group + maps.specs[static_cast<size_t>(m)].name, vols[static_cast<size_t>(m)],
                 maps.specs[static_cast<size_t>(m)].units);
  if (extra) extra(h5);
  h5.commit();
}

namespace {
std::vector<std::string> map_names(const MapSet& maps) {
  std::vector<std::string> n;
  for (const auto& s : maps.specs) n.push_back(s.name);
  return n;
}
}  // namespace

MapCheckpoint start_map_checkpoint(const std::string& path, const std::string& fingerprint,
                                   const std::string& command_line, const MapSet& maps, const Comm& comm) {
  MapCheckpoint ck;
  ck.path = path;
  ck.fingerprint = fingerprint;
  ck.command_line = command_line;
  auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.done);
  ck.saved.assign(dh.data(), dh.data() + dh.extent(0));
  io::remove_checkpoint(path, comm);
  comm.barrier();
  return ck;
}

MapCheckpoint resume_map_checkpoint(const std::string& path, const std::string& fingerprint,
                                    const std::string& command_line, MapSet& maps, const Comm& comm) {
  MapCheckpoint ck;
  ck.path = path;
  ck.fingerprint = fingerprint;
  ck.command_line = command_line;
  std::vector<std::string> parts;
  collective_check(comm, [&] {
    parts = io::checkpoint_parts(path);
    if (parts.empty()) throw InputError("no checkpoint at " + path + " (nothing to resume)");
    for (const auto& p : parts) {
      const std::string have = io::read_checkpoint_fingerprint(p);
      if (have != fingerprint)
        throw InputError("checkpoint " + p + " was made from another input or other options (fingerprint " + have +
                         ", this run " + fingerprint + "); remove it or start without --resume");
    }
  });
  const std::vector<std::string> names = map_names(maps);
  const std::size_t width = names.size() + 1;
  const Slab& slab = maps.layout.slab;
  const std::int64_t P = maps.layout.plane_size();
  const std::int64_t g0 = slab.z0 * P, g1 = slab.z_end() * P;
  auto vh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.values);
  auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.done);
  collective_check(comm, [&] {
    for (const auto& p : parts) {
      const std::vector<double> rec = io::read_checkpoint_records(p, names);
      for (std::size_t r = 0; r + width <= rec.size(); r += width) {
        const auto g = static_cast<std::int64_t>(rec[r]);
        if (g < g0 || g >= g1) continue;
        const std::int64_t v = g - g0;
        for (std::size_t c = 1; c < width; ++c) vh(v, c - 1) = static_cast<float>(rec[r + c]);
        dh(v) = 1;
      }
    }
  });
  Kokkos::deep_copy(maps.values, vh);
  Kokkos::deep_copy(maps.done, dh);
  ck.saved.assign(dh.data(), dh.data() + dh.extent(0));
  ck.next_part = static_cast<int>(parts.size());
  return ck;
}

std::string save_map_checkpoint(MapCheckpoint& ck, const MapSet& maps, const Comm& comm) {
  fault_point("checkpoint", comm);
  const std::vector<std::string> names = map_names(maps);
  const int m = maps.count();
  auto vh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.values);
  auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.done);
  const std::int64_t n = static_cast<std::int64_t>(dh.extent(0));
  if (ck.saved.size() != static_cast<std::size_t>(n)) ck.saved.assign(static_cast<std::size_t>(n), 0);
  const std::int64_t g0 = maps.layout.slab.z0 * maps.layout.plane_size();
  std::vector<double> records;
  std::vector<std::int64_t> fresh;
  for (std::int64_t v = 0; v < n; ++v)
    if (dh(v) && !ck.saved[static_cast<std::size_t>(v)]) fresh.push_back(v);
  records.reserve(fresh.size() * static_cast<std::size_t>(m + 1));
  for (std::int64_t v : fresh) {
    records.push_back(static_cast<double>(g0 + v));
    for (int c = 0; c < m; ++c) records.push_back(static_cast<double>(vh(v, c)));
  }
  io::save_checkpoint_part(ck.path, ck.next_part, maps.layout.grid, names, records, ck.fingerprint, ck.command_line, comm);
  for (std::int64_t v : fresh) ck.saved[static_cast<std::size_t>(v)] = 1;
  return io::checkpoint_part_path(ck.path, ck.next_part++);
}

}  // namespace voxflow::pipelines
