#include "io/dicom_reader.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "io/dicom_frame_reader.hpp"
#include "io/dicom_header.hpp"
#include "io/dicom_layout.hpp"
#include "io/dicom_plan_broadcast.hpp"
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

std::atomic<std::int64_t> g_folder_scans{0};  // plan_series runs (dicom_read_counts)

/// plan_series(dir), scanned once per process: read_dicom_info and read_dicom_4d of the same folder
/// (every command calls both) share one scan (DCMTK opens and parses every file) while the folder
/// lists the same files with the same sizes and modification times. read_dicom_4d still checks
/// each file it loads against the plan ("changed since the folder was scanned"). The collective
/// readers call it on rank 0 only and broadcast the plan.
dicom::DicomLayout planned_series(const std::string& dir) {
  static std::mutex mu;
  static std::string key;
  static dicom::DicomLayout plan;
  const std::string sig = folder_signature(dir);
  std::lock_guard<std::mutex> lock(mu);
  if (!sig.empty() && sig == key) return plan;
  key.clear();
  g_folder_scans.fetch_add(1);
  plan = dicom::plan_series(dir);  // throws InputError: then nothing is cached
  key = sig;
  return plan;
}

/// The plan of a folder (planned_series) or of a multi-frame file (its header; the file is loaded
/// and dropped: the pixel data stays on disk).
dicom::DicomLayout plan_of(const std::string& path, const DicomReadOptions& opt) {
  if (is_folder(path)) return planned_series(path);
  std::unique_ptr<DcmFileFormat> file = dicom::load_dicom_file(path);
  return dicom::plan_multiframe(dicom::parse_dicom_header(*file, path), opt);
}

/// The slab (+ halo planes) of the image `lay` plans: frames of `file` for a multi-frame file (its
/// header is lay.header), else the files of the folder series that the slab's planes need, each
/// loaded here and checked against the plan.
Volume4D read_planes(const std::string& path, const dicom::DicomLayout& lay, DcmFileFormat* file, const Slab& slab,
                     int halo) {
  if (halo < 0) throw InternalError("read_dicom_4d: negative halo");
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
    if (lay.multiframe) {
      if (file == nullptr) throw InternalError(path + ": multi-frame plan without its file");
      const dicom::DicomHeader& h = lay.header;
      dicom::DicomFrameReader reader(*file, h);
      for (std::int64_t t = 0; t < nt; ++t)  // increasing frame numbers: t * nz + z
        for (std::int64_t z = z_lo; z < z_hi; ++z) {
          const std::int64_t f = t * nz + z;
          reader.read_frame(f, h.slope_of_frame(f), h.intercept_of_frame(f), plane.data());
          store_plane(plane, vol.layout, z, t, host);
        }
    } else {
      if (lay.files.size() != static_cast<std::size_t>(nz * nt))
        throw InternalError(path + ": the plan lists " + std::to_string(lay.files.size()) + " files for " +
                            std::to_string(nz * nt) + " planes");
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

}  // namespace

ImageInfo read_dicom_info(const std::string& path, const DicomReadOptions& opt) { return plan_of(path, opt).info; }

Volume4D read_dicom_4d(const std::string& path, const Slab& slab, int halo, const DicomReadOptions& opt) {
  if (halo < 0) throw InternalError("read_dicom_4d: negative halo");
  if (is_folder(path)) return read_planes(path, planned_series(path), nullptr, slab, halo);
  std::unique_ptr<DcmFileFormat> file = dicom::load_dicom_file(path);
  const dicom::DicomLayout lay = dicom::plan_multiframe(dicom::parse_dicom_header(*file, path), opt);
  return read_planes(path, lay, file.get(), slab, halo);
}

ImageInfo read_dicom_info(const std::string& path, const DicomReadOptions& opt, const Comm& comm) {
  return dicom::broadcast_layout(comm, [&] { return plan_of(path, opt); }).info;
}

Volume4D read_dicom_4d(const std::string& path, const Slab& slab, int halo, const DicomReadOptions& opt,
                       const Comm& comm) {
  // rank 0 decides whether `path` is a folder (the ranks must take the same branch) and sends its
  // plan; for one multi-frame file it sends an empty plan marked multiframe: every rank opens that
  // file anyway to decode its frames, so each reads the header there (no scan)
  const dicom::DicomLayout lay = dicom::broadcast_layout(comm, [&] {
    if (is_folder(path)) return planned_series(path);
    dicom::DicomLayout one_file;
    one_file.multiframe = true;
    return one_file;
  });
  Volume4D vol;
  collective_check(comm, [&] {
    vol = lay.multiframe ? read_dicom_4d(path, slab, halo, opt) : read_planes(path, lay, nullptr, slab, halo);
  });
  return vol;
}

DicomReadCounts dicom_read_counts() {
  DicomReadCounts c;
  c.folder_scans = g_folder_scans.load();
  c.files_loaded = dicom::loaded_file_count();
  return c;
}

}  // namespace voxflow::io
