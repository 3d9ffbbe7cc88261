#include "io/checkpoint.hpp"

#include <filesystem>
#include <fstream>

#include "io/hdf5_results.hpp"
#include "src/core/error.hpp"

namespace fs = std::filesystem;

namespace voxflow::io {
namespace {
std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s;
}
const std::string& attribute(const H5FileInfo& info, const std::string& path, const std::string& name) {
  auto it = info.attributes.find(name);
  if (it == info.attributes.end())
    throw InputError(path + " is not a voxflow checkpoint part (no " + name +
                     "; a checkpoint of an older voxflow cannot be resumed: start without --resume)");
  return it->second;
}
}  // namespace

std::string checkpoint_part_path(const std::string& path, int k) {
  if (k == 0) return path;
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".part-" + std::to_string(k) + p.extension().string())).string();
}

std::vector<std::string> checkpoint_parts(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  for (int k = 0;; ++k) {
    const std::string p = checkpoint_part_path(path, k);
    if (!fs::is_regular_file(p, ec)) break;
    out.push_back(p);
  }
  return out;
}

void save_checkpoint_part(const std::string& path, int k, const Grid& grid, const std::vector<std::string>& map_names,
                          const std::vector<double>& records, const std::string& fingerprint,
                          const std::string& command_line, const Comm& comm) {
  H5ResultWriter w(checkpoint_part_path(path, k), grid, comm, command_line, "voxflow checkpoint");
  w.write_attribute("checkpoint_fingerprint", fingerprint);
  w.write_attribute("checkpoint_part", std::to_string(k));
  w.write_attribute("checkpoint_maps", joined(map_names));
  w.write_rows("checkpoint/records", records, static_cast<std::int64_t>(map_names.size()) + 1);
  w.commit();
}

std::string read_checkpoint_fingerprint(const std::string& part_path) {
  if (!std::ifstream(part_path)) throw InputError("no checkpoint at " + part_path + " (nothing to resume)");
  const H5FileInfo info = read_h5_info(part_path);
  return attribute(info, part_path, "checkpoint_fingerprint");
}

std::vector<double> read_checkpoint_records(const std::string& part_path, const std::vector<std::string>& map_names) {
  const H5FileInfo info = read_h5_info(part_path);
  if (attribute(info, part_path, "checkpoint_maps") != joined(map_names))
    throw InputError(part_path + ": the checkpoint holds other maps (" + attribute(info, part_path, "checkpoint_maps") +
                     ")");
  std::vector<std::int64_t> shape;
  std::vector<double> rec = read_h5_vector(part_path, "checkpoint/records", &shape);
  const std::int64_t width = static_cast<std::int64_t>(map_names.size()) + 1;
  if (!(shape.size() == 2 && shape[1] == width) && !rec.empty())
    throw InputError(part_path + ": checkpoint records of another width");
  return rec;
}

void remove_checkpoint(const std::string& path, const Comm& comm) {
  if (!comm.is_root()) return;
  std::error_code ec;
  fs::remove(path, ec);
  // every "<stem>.part-<k><ext>", also beyond a gap (parts of an older run must never continue a new one)
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string head = p.stem().string() + ".part-", tail = p.extension().string();
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.size() > head.size() + tail.size() && n.compare(0, head.size(), head) == 0 &&
        n.compare(n.size() - tail.size(), tail.size(), tail) == 0) {
      std::error_code rec;
      fs::remove(it->path(), rec);
    }
  }
}

}  // namespace voxflow::io
