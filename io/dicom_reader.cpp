#include "io/dicom_reader.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "io/dicom_frame_reader.hpp"
#include "io/dicom_header.hpp"
#include "io/dicom_layout.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

namespace {

bool is_folder(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

/// Copies one decoded plane (x fastest) into storage plane `z_global` of time point t.
template <class HostView>
void store_plane(const std::vector<float>& plane, const SlabLayout& lay, std::int64_t z_global, std::int64_t t,
                 const HostView& h) {
  const std::int64_t base = (lay.slab.to_local(z_global) + lay.halo) * lay.plane_size();
  for (std::int64_t v = 0; v < lay.plane_size(); ++v) h(base + v, t) = plane[v];
}

/// What a folder holds, cheaply: every entry's name, size and modification time (one listing and
/// one stat per entry, no file opened). Empty when the folder cannot be listed.
std::string folder_signature(const std::string& dir) {
  std::vector<std::string> rows;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) return {};
    rows.push_back(it->path().filename().string() + '\0' + std::to_string(st.st_size) + '\0' +
                   std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec));
  }
  if (ec) return {};
  std::sort(rows.begin(), rows.end());
  std::string sig = dir;
  for (const std::string& r : rows) sig += '\n' + r;
  return sig;
}

/// plan_series(dir), scanned once per process: read_dicom_info and read_dicom_4d of the same folder
/// (every command calls both) share one scan (DCMTK opens and parses every file) while the folder
/// lists the same files with the same sizes and modification times. read_dicom_4d still checks
/// each file it loads against the plan ("changed since the folder was scanned").
dicom::DicomLayout planned_series(const std::string& dir) {
  static std::mutex mu;
  static std::string key;
  static dicom::DicomLayout plan;
  const std::string sig = folder_signature(dir);
  std::lock_guard<std::mutex> lock(mu);
  if (!sig.empty() && sig == key) return plan;
  key.clear();
  plan = dicom::plan_series(dir);  // throws InputError: then nothing is cached
  key = sig;
  return plan;
}

}  // namespace

ImageInfo read_dicom_info(const std::string& path, const DicomReadOptions& opt) {
  if (is_folder(path)) return planned_series(path).info;
  std::unique_ptr<DcmFileFormat> file = dicom::load_dicom_file(path);
  return dicom::plan_multiframe(dicom::parse_dicom_header(*file, path), opt).info;
}

Volume4D read_dicom_4d(const std::string& path, const Slab& slab, int halo, const DicomReadOptions& opt) {
  if (halo < 0) throw InternalError("read_dicom_4d: negative halo");
  const bool folder = is_folder(path);
  std::unique_ptr<DcmFileFormat> file;
  dicom::DicomLayout lay;
  if (folder) {
    lay = planned_series(path);
  } else {
    file = dicom::load_dicom_file(path);
    lay = dicom::plan_multiframe(dicom::parse_dicom_header(*file, path), opt);
  }
  dicom::check_scalar_pixels(lay.header);
  const Grid& grid = lay.info.grid;
  if (slab.nz_global != grid.dims[2])
    throw InternalError(path + ": slab made for " + std::to_string(slab.nz_global) + " planes, the image has " +
                        std::to_string(grid.dims[2]));

  Volume4D vol(grid, slab, halo, "dicom4d");
  vol.frame_times_s = lay.info.frame_times_s;
  auto host = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(host, 0.0f);
  if (!slab.empty()) {
    const std::int64_t nz = grid.dims[2], nt = grid.nt;
    const std::int64_t z_lo = std::max<std::int64_t>(0, slab.z0 - halo);
    const std::int64_t z_hi = std::min<std::int64_t>(nz, slab.z_end() + halo);
    std::vector<float> plane(static_cast<std::size_t>(grid.plane_size()));
    if (!folder) {
      const dicom::DicomHeader& h = lay.header;
      dicom::DicomFrameReader reader(*file, h);
      for (std::int64_t t = 0; t < nt; ++t)  // increasing frame numbers: t * nz + z
        for (std::int64_t z = z_lo; z < z_hi; ++z) {
          const std::int64_t f = t * nz + z;
          reader.read_frame(f, h.slope_of_frame(f), h.intercept_of_frame(f), plane.data());
          store_plane(plane, vol.layout, z, t, host);
        }
    } else {
      for (std::int64_t z = z_lo; z < z_hi; ++z)
        for (std::int64_t t = 0; t < nt; ++t) {
          const std::string& p = lay.files[static_cast<std::size_t>(t * nz + z)];
          std::unique_ptr<DcmFileFormat> f = dicom::load_dicom_file(p);
          const dicom::DicomHeader h = dicom::parse_dicom_header(*f, p);
          if (h.rows != lay.header.rows || h.columns != lay.header.columns || h.number_of_frames != 1)
            throw InputError(p + ": changed since the folder was scanned");
          dicom::DicomFrameReader reader(*f, h);
          reader.read_frame(0, h.rescale_slope, h.rescale_intercept, plane.data());
          store_plane(plane, vol.layout, z, t, host);
        }
    }
  }
  Kokkos::deep_copy(vol.data, host);
  return vol;
}

}  // namespace voxflow::io
