// Voxel-wise TIA maps: storage and the chunk kernel.
#include "src/tia/tia_maps.hpp"

#include <limits>

#include "src/core/error.hpp"
#include "src/tia/bootstrap.hpp"
#include "src/tia/voxel_tia.hpp"

namespace voxflow::tia {

const std::vector<MapSpec>& tia_map_specs() {
  static const std::vector<MapSpec> specs = {
      {"tia", "Bq*s", "time-integrated activity per voxel"},
      {"r2", "", "coefficient of determination of the fitted curve"},
      {"sigma_tia", "Bq*s", "bootstrap standard deviation of the TIA"},
      {"tpeak", "s", "time of peak activity"},
      {"model_id", "", "0 none 1 gamma 2 exp 3 hybrid 4 monoexp 5 biexp 6 biexp_washout 7 triexp", true},
      {"status_id", "", "0 outside mask 1 ok 2 insufficient 3 failed 4 below floor 5 nonphysical", true},
      {"curve_class", "", "0 none 1 falling 2 rising 3 hump 4 ambiguous", true},
  };
  return specs;
}

MapSet make_tia_maps(const SlabLayout& layout) {
  MapSet maps(layout, tia_map_specs(), "tia_maps");
  maps.fill(kMapModelId, 0.0f);
  maps.fill(kMapStatusId, static_cast<float>(kStatusOutsideMask));
  maps.fill(kMapCurveClass, 0.0f);
  return maps;
}

void fit_tia_items(const ConstItemView& items, const Kokkos::View<const double*>& times_s,
                   const TiaKernelSettings& s, const RegionInputs& regions, std::int64_t begin, std::int64_t end,
                   const ItemView& results) {
  const int n = static_cast<int>(times_s.extent(0));
  if (n > kTiaMaxTimePoints || n < 2)
    throw InternalError("fit_tia_items: " + std::to_string(n) + " time points (2.." + std::to_string(kTiaMaxTimePoints) + ")");
  if (static_cast<int>(items.extent(1)) != tia_item_width(n) || results.extent(1) != kTiaMapCount ||
      results.extent(0) != items.extent(0))
    throw InternalError("fit_tia_items: item or result views of the wrong shape");
  const auto tv = times_s;
  const auto out = results;
  const auto it = items;
  const auto l2r = regions.label_to_region;
  const auto reg = regions.regions;
  const int n_labels = static_cast<int>(l2r.extent(0));
  const TiaKernelSettings set = s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Kokkos::parallel_for(
      "tia_fit_items", Kokkos::RangePolicy<>(begin, end), KOKKOS_LAMBDA(std::int64_t item) {
        double t[kTiaMaxTimePoints];
        double a[kTiaMaxTimePoints];
        for (int k = 0; k < n; ++k) {
          t[k] = tv(k);
          a[k] = it(item, k);
        }
        const int lab = static_cast<int>(it(item, n + kItemLabel));
        const int r = (lab >= 0 && lab < n_labels) ? l2r(lab) : -1;
        TacResult res;
        double sigma = nan;
        if (r >= 0) {
          double scale = 0.0;
          apply_region_to_voxel(t, a, n, set.fit, reg(r), set.voxel_level_r2, res, scale);
          if (set.bootstrap && res.status == kStatusOk) sigma = scale * reg(r).sigma_tia_ref;
        } else {
          fit_tac(t, a, n, set.fit, res);
          if (set.bootstrap && res.status == kStatusOk)
            sigma = bootstrap_sigma(t, a, n, set.fit, res, set.replicates, set.seed,
                                    static_cast<std::uint64_t>(it(item, n + kItemGlobalVoxel)), set.reclassify);
        }
        const bool ok = res.status == kStatusOk;
        out(item, kMapTia) = ok ? res.tia : nan;
        out(item, kMapR2) = ok ? res.r2 : nan;
        out(item, kMapSigmaTia) = ok ? sigma : nan;
        out(item, kMapTpeak) = ok ? res.tpeak : nan;
        out(item, kMapModelId) = res.model;
        out(item, kMapStatusId) = res.status;
        out(item, kMapCurveClass) = res.curve_class;
      });
}

}  // namespace voxflow::tia
