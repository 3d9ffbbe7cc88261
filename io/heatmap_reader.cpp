#include "io/heatmap_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "io/hdf5_results.hpp"
#include "io/heatmap_binary.hpp"
#include "io/heatmap_csv.hpp"
#include "io/heatmap_json.hpp"
#include "io/image_reader.hpp"
#include "io/nifti_reader.hpp"
#include "io/npy_reader.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"

namespace voxflow::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

bool is_regular_file(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// "file.h5:maps/kb" -> {"file.h5", "maps/kb"}; a path without such a suffix -> {path, ""}.
std::pair<std::string, std::string> split_h5_spec(const std::string& spec) {
  if (is_regular_file(spec)) return {spec, ""};
  const auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) return {spec, ""};
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

Heatmap from_npy(const std::string& path) {
  NpyArray a = read_npy(path);
  const auto& s = a.shape;
  if (s.size() == 2) return make_heatmap_2d(s[0], s[1], std::move(a.values), path);
  if (s.size() == 3) {
    if (s[0] < 1 || s[1] < 1 || s[2] < 1) throw InputError(path + ": NPY heatmap has an empty dimension");
    Heatmap h;
    h.dims = {s[0], s[1], s[2]};
    h.is_volume = true;
    h.grid.dims = h.dims;
    h.source = path;
    h.values.resize(a.values.size());
    // C order [x][y][z] (z fastest) -> x fastest
    for (std::int64_t x = 0; x < s[0]; ++x)
      for (std::int64_t y = 0; y < s[1]; ++y)
        for (std::int64_t z = 0; z < s[2]; ++z)
          h.values[static_cast<std::size_t>(x + s[0] * (y + s[1] * z))] =
              a.values[static_cast<std::size_t>((x * s[1] + y) * s[2] + z)];
    return h;
  }
  std::string shape;
  for (std::size_t i = 0; i < s.size(); ++i) shape += (i ? ", " : "") + std::to_string(s[i]);
  throw InputError(path + ": NPY heatmap of shape (" + shape + ") is neither 2-D (rows, cols) nor 3-D (x, y, z)");
}

Heatmap from_volume(const Volume3D& v, const std::string& source) {
  Heatmap h;
  h.grid = v.layout.grid;
  h.dims = h.grid.dims;
  h.is_volume = true;
  h.units = v.units;
  h.source = source;
  auto host = Kokkos::create_mirror_view(v.data);
  Kokkos::deep_copy(host, v.data);
  const std::size_t n = static_cast<std::size_t>(h.grid.n_voxels());
  h.values.resize(n);
  const std::size_t off = static_cast<std::size_t>(v.layout.halo * v.layout.plane_size());
  for (std::size_t i = 0; i < n; ++i) h.values[i] = host(off + i);
  return h;
}

}  // namespace

const char* heatmap_format_name(HeatmapFormat f) {
  switch (f) {
    case HeatmapFormat::Json: return "JSON";
    case HeatmapFormat::Csv: return "CSV";
    case HeatmapFormat::Binary: return "binary";
    case HeatmapFormat::Npy: return "NPY";
    case HeatmapFormat::Nifti: return "NIfTI";
    case HeatmapFormat::Hdf5: return "HDF5";
  }
  return "?";
}

HeatmapFormat detect_heatmap_format(const std::string& spec) {
  const auto [file, dataset] = split_h5_spec(spec);
  if (ends_with(file, ".h5") || ends_with(file, ".hdf5")) {
    if (!is_regular_file(file)) throw InputError(file + ": heatmap file does not exist");
    return HeatmapFormat::Hdf5;
  }
  if (!is_regular_file(spec)) throw InputError(spec + ": heatmap file does not exist (or is not a file)");
  if (ends_with(spec, ".json")) return HeatmapFormat::Json;
  if (ends_with(spec, ".csv") || ends_with(spec, ".txt")) return HeatmapFormat::Csv;
  if (ends_with(spec, ".bin") || ends_with(spec, ".raw") || ends_with(spec, ".f32")) return HeatmapFormat::Binary;
  if (ends_with(spec, ".npy")) return HeatmapFormat::Npy;
  if (ends_with(spec, ".nii") || ends_with(spec, ".nii.gz") || ends_with(spec, ".hdr")) return HeatmapFormat::Nifti;
  std::ifstream in(spec, std::ios::binary);
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.empty()) throw InputError(spec + ": heatmap file is empty");
  if (head.compare(0, 6, "\x93NUMPY") == 0) return HeatmapFormat::Npy;
  if (head.compare(0, 8, "\x89HDF\r\n\x1a\n") == 0) return HeatmapFormat::Hdf5;
  try {
    if (detect_format(spec) == ImageFormat::Nifti) return HeatmapFormat::Nifti;
  } catch (const InputError&) {
  }
  for (char c : head) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '{' || c == '[') return HeatmapFormat::Json;
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') return HeatmapFormat::Csv;
    break;
  }
  throw InputError(spec + ": unknown heatmap format (expected .json, .csv, .bin, .npy, .nii[.gz] or file.h5:dataset)");
}

Heatmap read_heatmap(const std::string& spec) {
  switch (detect_heatmap_format(spec)) {
    case HeatmapFormat::Json: return read_heatmap_json(spec);
    case HeatmapFormat::Csv: return read_heatmap_csv(spec);
    case HeatmapFormat::Binary: return read_heatmap_binary(spec);
    case HeatmapFormat::Npy: return from_npy(spec);
    case HeatmapFormat::Nifti: {
      const ImageInfo info = read_nifti_info(spec);
      if (info.grid.nt > 1)
        throw InputError(spec + ": heatmap is 4-D (" + std::to_string(info.grid.nt) + " time points); give a 3-D map");
      const Volume3D v = read_nifti_3d(spec, make_slab(info.grid.nz(), 0, 1), 0);
      return from_volume(v, spec);
    }
    case HeatmapFormat::Hdf5: {
      const auto [file, dataset] = split_h5_spec(spec);
      const H5FileInfo info = read_h5_info(file);
      if (dataset.empty()) {
        std::string names;
        for (const auto& d : info.datasets) names += (names.empty() ? "" : ", ") + d;
        throw InputError(file + ": name the HDF5 dataset as " + file + ":DATASET (the file holds: " + names + ")");
      }
      if (std::find(info.datasets.begin(), info.datasets.end(), dataset) == info.datasets.end()) {
        std::string names;
        for (const auto& d : info.datasets) names += (names.empty() ? "" : ", ") + d;
        throw InputError(file + ": no dataset '" + dataset + "' (the file holds: " + names + ")");
      }
      const Volume3D v = read_h5_map(file, dataset, make_slab(info.grid.nz(), 0, 1), 0, Comm{MPI_COMM_SELF});
      return from_volume(v, spec);
    }
  }
  throw InternalError("read_heatmap: unhandled format");
}

}  // namespace voxflow::io
