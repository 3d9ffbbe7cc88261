// Bias of the TIA models on physiological (bi-exponential uptake-washout) kinetics, issue 16:
// the population of src/tia/physiological_kinetics.hpp (uptake half-times 0.5-20 h, biological
// half-lives 20-300 h, Lu-177), sampled at 4 points (4, 24, 48, 168 h) and at 5 (1, 4, 24, 72,
// 168 h), noiseless and with Gaussian noise per point, fitted by the per-voxel kernel of `voxflow
// tia` (fit_tac, default floor and options) under the design and under each selection. Prints
// the markdown table of docs/tia_models.md "Bias on physiological kinetics".
//   build/bench_tia_bias [curves=400] [noise=0.05] [noise_seeds=1]
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/tia/physiological_kinetics.hpp"
#include "src/tia/tia_phantom.hpp"
#include "src/tia/voxel_tia.hpp"

namespace vt = voxflow::tia;

namespace {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  const double f = pos - i;
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

struct Variant {
  std::string name;
  vt::TiaFitOptions opt;
};

}  // namespace

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  {
    const int curves = argc > 1 ? std::atoi(argv[1]) : 400;
    const double noise = argc > 2 ? std::atof(argv[2]) : 0.05;
    const int seeds = argc > 3 ? std::atoi(argv[3]) : 1;
    const double lp = std::log(2.0) / vt::kLu177HalfLifeS;
    auto sel = [&](vt::ModelSelection s, std::vector<std::uint8_t> c) {
      vt::TiaFitOptions o;
      o.lambda_phys = lp;
      o.selection = s;
      o.refine_gamma = s != vt::ModelSelection::Design;
      o.candidates = 0;
      for (auto m : c) o.candidates |= vt::model_bit(m);
      return o;
    };
    std::vector<Variant> variants;
    variants.push_back({"design (default)", sel(vt::ModelSelection::Design, {})});
    {
      vt::TiaFitOptions o = sel(vt::ModelSelection::Design, {});
      o.refine_gamma = true;
      variants.push_back({"design, refine: true", o});
      o.refine_gamma = false;
      o.falling_integral = vt::FallingIntegral::FittedFromZero;
      variants.push_back({"design, fitted_from_zero", o});
    }
    const std::vector<std::uint8_t> gmb = {vt::kModelGamma, vt::kModelMonoexp, vt::kModelBiexp};
    variants.push_back({"aic [gamma, monoexp, biexp]", sel(vt::ModelSelection::Aic, gmb)});
    variants.push_back({"aicc [gamma, monoexp, biexp]", sel(vt::ModelSelection::Aicc, gmb)});
    variants.push_back({"[biexp]", sel(vt::ModelSelection::Aicc, {vt::kModelBiexp})});
    variants.push_back({"aic [all five]", sel(vt::ModelSelection::Aic, {vt::kModelGamma, vt::kModelMonoexp, vt::kModelBiexp,
                                                                       vt::kModelTriexp, vt::kModelHybrid})});
    const std::vector<std::vector<double>> sets = {{4, 24, 48, 168}, {1, 4, 24, 72, 168}};
    std::printf("%d bi-exponential curves (uptake half-time 0.5-20 h, biological half-life 20-300 h, Lu-177), "
                "noise %.3g x %d seeds; TIA error = (TIA - exact) / exact\n\n",
                curves, noise, seeds);
    std::printf("| times (h) | noise | models | median signed | median abs | p95 abs | worst | not fitted |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const auto& th : sets) {
      std::vector<double> t;
      for (double h : th) t.push_back(h * 3600.0);
      const int n = static_cast<int>(t.size());
      std::string tname;
      for (size_t i = 0; i < th.size(); ++i) tname += (i ? ", " : "") + std::to_string(static_cast<int>(th[i]));
      for (double nz : {0.0, noise}) {
        for (const auto& v : variants) {
          std::vector<double> err, abs_err;
          int failed = 0;
          const int reps = nz > 0 ? seeds : 1;
          for (int s = 0; s < reps; ++s) {
            for (int i = 0; i < curves; ++i) {
              const auto k = vt::biexp_population_curve(0, i, lp);
              double a[vt::kTiaMaxTimePoints];
              for (int j = 0; j < n; ++j) {
                const double z = nz > 0 ? vt::tia_phantom_gauss(1 + s, i, j) : 0.0;
                a[j] = std::max(k.value(t[j]) * (1 + nz * z), 0.0);
              }
              vt::TacResult r;
              vt::fit_tac(t.data(), a, n, v.opt, r);
              if (r.status != vt::kStatusOk) {
                ++failed;
                continue;
              }
              const double e = (r.tia - k.tia()) / k.tia();
              err.push_back(e);
              abs_err.push_back(std::fabs(e));
            }
          }
          double worst = 0;
          for (double e : err)
            if (std::fabs(e) > std::fabs(worst)) worst = e;
          std::printf("| %s | %g %% | %s | %+.2f %% | %.2f %% | %.2f %% | %+.1f %% | %d |\n", tname.c_str(), nz * 100,
                      v.name.c_str(), 100 * quantile(err, 0.5), 100 * quantile(abs_err, 0.5),
                      100 * quantile(abs_err, 0.95), 100 * worst, failed);
        }
      }
    }
  }
  Kokkos::finalize();
  return 0;
}
