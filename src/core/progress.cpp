#include "src/core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <utility>

namespace voxflow {

ProgressReporter::ProgressReporter(std::string label, std::int64_t total, std::int64_t already_done, bool enabled,
                                   double log_interval_s, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      start_done_(already_done),
      enabled_(enabled),
      tty_(enabled && ::isatty(::fileno(out))),
      interval_s_(tty_ ? 0.1 : log_interval_s),
      out_(out),
      t0_(std::chrono::steady_clock::now()),
      last_(t0_) {}

std::string ProgressReporter::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

std::string ProgressReporter::line(std::int64_t done, double elapsed) const {
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const double rate = elapsed > 0 ? static_cast<double>(done - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  const int width = 24, fill = static_cast<int>(frac * width + 1e-9);
  std::string bar(static_cast<size_t>(fill), '#');
  bar += std::string(static_cast<size_t>(width - fill), '-');
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s [%s] %5.1f%%  %lld/%lld vox  %.0f vox/s  elapsed %s  ETA %s", label_.c_str(),
                bar.c_str(), 100.0 * frac, static_cast<long long>(done), static_cast<long long>(total_), rate,
                format_duration(elapsed).c_str(), format_duration(eta).c_str());
  return buf;
}

void ProgressReporter::update(std::int64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && std::chrono::duration<double>(now - last_).count() < interval_s_) return;
  last_ = now;
  drawn_ = true;
  const double el = std::chrono::duration<double>(now - t0_).count();
  if (tty_)
    std::fprintf(out_, "\r%s\x1b[K", line(done, el).c_str());
  else
    std::fprintf(out_, "%s\n", line(done, el).c_str());
  std::fflush(out_);
}

void ProgressReporter::finish(std::int64_t done) {
  if (!enabled_) return;
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  if (tty_)
    std::fprintf(out_, "\r%s\x1b[K\n", line(done, el).c_str());
  else
    std::fprintf(out_, "%s\n", line(done, el).c_str());
  std::fflush(out_);
}

}  // namespace voxflow
