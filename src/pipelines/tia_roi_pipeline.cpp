// voxflow tia-roi: per-label summary of TIA maps (seeds/002 PyTIA design §12.2, the real-data
// validation script): roi_summary.csv, optionally roi_tacs.csv and a bar chart.
#include "src/pipelines/tia_roi_pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/nifti_reader.hpp"
#include "io/png_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/label_map.hpp"
#include "src/pipelines/map_outputs.hpp"
#include "src/pipelines/tia_options.hpp"
#include "src/tia/label_statistics.hpp"
#include "src/tia/tia_types.hpp"
#include "src/viz/bar_chart.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

std::string fmt(double x) {
  if (!std::isfinite(x)) return "nan";
  char b[64];
  std::snprintf(b, sizeof b, "%.9g", x);
  return b;
}

/// Owned voxels of `path` as a float View, after checking that it is 3D and on the label map's grid.
Kokkos::View<float*> read_on_grid(const std::string& path, const Grid& grid, const std::string& labels_path, const Slab& slab) {
  const io::ImageInfo inf = io::read_nifti_info(path);
  if (inf.grid.nt != 1) throw InputError(path + " is " + inf.grid.describe() + ": a 3D image is needed");
  require_same_grid(grid, "the label map " + labels_path, inf.grid, path);
  return io::read_nifti_3d(path, slab, 0).data;
}

}  // namespace

int run_tia_roi(const TiaRoiOptions& o, const Comm& comm) {
  std::vector<std::string> images;
  std::vector<double> times;
  std::string maps = o.maps_dir, prefix = o.prefix, labels_path = o.labels;
  if (!o.config.empty()) {
    collective_check(comm, [&] {
      const tia::TiaConfig c = tia::load_tia_config(o.config, o.config_overrides);
      images = c.images;
      times = c.times_s;
      if (maps.empty()) maps = c.output_dir;
      if (prefix.empty()) prefix = c.prefix;
      if (labels_path.empty()) labels_path = c.label_map_path;
    });
  } else if (!o.config_overrides.empty()) {
    throw UsageError("tia-roi: --set changes keys of the tia configuration: give it with --config");
  }
  if (maps.empty() || labels_path.empty()) throw UsageError("tia-roi: give --maps DIR and --labels FILE (or a --config that names them)");
  const fs::path maps_dir = maps;
  const std::string pre = prefix.empty() ? "" : prefix + "_";
  const fs::path out = o.output_dir.empty() ? maps_dir : fs::path(o.output_dir);
  if (!o.images.empty()) images = o.images;
  if (!o.times_s.empty()) times = o.times_s;
  if (images.size() != times.size())
    throw UsageError("tia-roi: " + std::to_string(images.size()) + " images but " + std::to_string(times.size()) + " times");

  io::ImageInfo linfo;
  collective_check(comm, [&] {
    linfo = io::read_nifti_info(labels_path);
    if (linfo.grid.nt != 1) throw InputError(labels_path + ": the label map must be a 3D image");
  });
  make_output_dir(out.string(), comm);
  const Grid& grid = linfo.grid;
  const Slab slab = make_slab(grid.nz(), comm.rank(), comm.size());
  const std::int64_t n = slab.nz * grid.plane_size();

  // columns: tia (ok voxels), r2 (ok voxels), ok flag, sigma_tia (ok voxels)
  Kokkos::View<float**> values("roi_values", static_cast<size_t>(n), 4);
  Kokkos::View<std::int32_t*> labels;
  collective_check(comm, [&] {
    Volume3D lab_map(grid, slab, 0, "labels");
    lab_map.data = read_on_grid(labels_path, grid, labels_path, slab);
    labels = decode_labels(lab_map);
    auto tia = read_on_grid((maps_dir / (pre + "tia.nii.gz")).string(), grid, labels_path, slab);
    auto r2 = read_on_grid((maps_dir / (pre + "r2.nii.gz")).string(), grid, labels_path, slab);
    auto st = read_on_grid((maps_dir / (pre + "status_id.nii.gz")).string(), grid, labels_path, slab);
    auto sg = read_on_grid((maps_dir / (pre + "sigma_tia.nii.gz")).string(), grid, labels_path, slab);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    Kokkos::parallel_for(
        "roi_columns", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(std::int64_t v) {
          const bool ok = st(v) == static_cast<float>(tia::kStatusOk);
          values(v, 0) = ok ? tia(v) : nan;
          values(v, 1) = ok ? r2(v) : nan;
          values(v, 2) = ok ? 1.0f : 0.0f;
          values(v, 3) = ok ? sg(v) : nan;
        });
    Kokkos::fence();
  });
  int max_label_local = 0;
  {
    auto lh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), labels);
    for (size_t v = 0; v < lh.extent(0); ++v) max_label_local = std::max(max_label_local, static_cast<int>(lh(v)));
  }
  const int max_label = static_cast<int>(comm.max(static_cast<double>(max_label_local)));
  if (max_label > 65535) throw InputError(labels_path + ": labels up to 65535 are supported (found " + std::to_string(max_label) + ")");
  const SlabLayout layout{grid, slab, 0};
  const tia::LabelSums s = tia::label_sums(layout, values, labels, {}, max_label, comm);

  std::vector<viz::Bar> bars;
  std::ostringstream csv;
  csv << "label,voxels,voxels_ok,fraction_ok,mean_tia_bq_s,total_tia_bq_s,mean_r2,mean_sigma_tia_bq_s\n";
  for (int L = 1; L <= max_label; ++L) {
    const double cnt = s.count[static_cast<size_t>(L)];
    if (cnt == 0) continue;
    const double ok = s.sum[static_cast<size_t>(L) * 4 + 2];
    const double total = s.sum[static_cast<size_t>(L) * 4 + 0];
    csv << L << ',' << static_cast<long long>(cnt) << ',' << static_cast<long long>(ok) << ',' << fmt(ok / cnt) << ','
        << fmt(s.mean(L, 0)) << ',' << fmt(ok > 0 ? total : std::nan("")) << ',' << fmt(s.mean(L, 1)) << ','
        << fmt(s.mean(L, 3)) << '\n';
    bars.push_back({std::to_string(L), s.mean(L, 0), s.mean(L, 3)});
  }
  if (bars.empty()) throw InputError(labels_path + ": no voxel carries a label > 0");

  // mean TAC per label (Bq/ml), long form
  std::ostringstream tacs;
  if (!images.empty()) {
    tacs << "label,time_s,mean_bq_per_ml\n";
    Kokkos::View<float**> dens("roi_density", static_cast<size_t>(n), images.size());
    collective_check(comm, [&] {
      for (size_t k = 0; k < images.size(); ++k) {
        auto d = read_on_grid(images[k], grid, labels_path, slab);
        const int kk = static_cast<int>(k);
        Kokkos::parallel_for(
            "roi_tac", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(std::int64_t v) { dens(v, kk) = d(v); });
      }
      Kokkos::fence();
    });
    const tia::LabelSums ts = tia::label_sums(layout, dens, labels, {}, max_label, comm);
    std::vector<size_t> order(images.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a] < times[b]; });
    for (int L = 1; L <= max_label; ++L) {
      if (ts.count[static_cast<size_t>(L)] == 0) continue;
      for (size_t k : order) tacs << L << ',' << fmt(times[k]) << ',' << fmt(ts.mean(L, static_cast<int>(k))) << '\n';
    }
  }

  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    io::write_text_atomic((out / "roi_summary.csv").string(), csv.str());
    if (!images.empty()) io::write_text_atomic((out / "roi_tacs.csv").string(), tacs.str());
    if (o.plot) {
      viz::BarChart chart;
      chart.title = "Mean TIA per label (error bar: mean bootstrap SD)";
      chart.x_label = "label";
      chart.y_label = "mean TIA per voxel (Bq*s)";
      chart.bars = bars;
      io::write_png((out / "roi_tia.png").string(), viz::render_bar_chart(chart));
    }
    std::fprintf(stderr, "voxflow tia-roi: %zu labels; wrote %s\n", bars.size(), (out / "roi_summary.csv").string().c_str());
  });
  return static_cast<int>(bars.size());
}

}  // namespace voxflow::pipelines
