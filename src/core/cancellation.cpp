#include "src/core/cancellation.hpp"

#include <csignal>

namespace voxflow {
namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void voxflow_on_signal(int sig) {
  if (g_signal == SIGINT && sig == SIGINT) {  // second Ctrl+C: give up waiting
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  g_signal = sig;
}
}  // namespace

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = voxflow_on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

int cancel_signal() { return g_signal; }

void set_cancel_signal_for_testing(int sig) { g_signal = sig; }

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "signal";
  }
}

}  // namespace voxflow
