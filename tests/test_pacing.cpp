// The testing aid VOXFLOW_TEST_ITEM_DELAY_MS (src/core/test_pacing.hpp): inert when unset, parsed
// strictly, and a paced sleep ends at a cancel signal (so a paced run still checkpoints promptly).
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"
#include "src/core/test_pacing.hpp"

namespace {

struct PacingEnv : ::testing::Test {
  void TearDown() override {
    unsetenv("VOXFLOW_TEST_ITEM_DELAY_MS");
    voxflow::set_cancel_signal_for_testing(0);
  }
};

TEST_F(PacingEnv, UnsetOrEmptyIsInert) {
  unsetenv("VOXFLOW_TEST_ITEM_DELAY_MS");
  EXPECT_EQ(voxflow::test_item_delay_s(), 0.0);
  setenv("VOXFLOW_TEST_ITEM_DELAY_MS", "", 1);
  EXPECT_EQ(voxflow::test_item_delay_s(), 0.0);
}

TEST_F(PacingEnv, MillisecondsBecomeSeconds) {
  setenv("VOXFLOW_TEST_ITEM_DELAY_MS", "25", 1);
  EXPECT_DOUBLE_EQ(voxflow::test_item_delay_s(), 0.025);
  setenv("VOXFLOW_TEST_ITEM_DELAY_MS", "0.5", 1);
  EXPECT_DOUBLE_EQ(voxflow::test_item_delay_s(), 0.0005);
  setenv("VOXFLOW_TEST_ITEM_DELAY_MS", "0", 1);
  EXPECT_EQ(voxflow::test_item_delay_s(), 0.0);
}

TEST_F(PacingEnv, MalformedIsAUsageError) {
  for (const char* bad : {"abc", "10ms", "-1", "nan", "20000", " 5x"}) {
    setenv("VOXFLOW_TEST_ITEM_DELAY_MS", bad, 1);
    try {
      voxflow::test_item_delay_s();
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const voxflow::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("VOXFLOW_TEST_ITEM_DELAY_MS"), std::string::npos) << e.what();
    }
  }
}

TEST_F(PacingEnv, ACancelSignalEndsThePacing) {
  // a million items at one second each: returns only because the signal is already there
  voxflow::set_cancel_signal_for_testing(SIGUSR1);
  voxflow::test_pace(1000000, 1.0);
  SUCCEED();
}

TEST_F(PacingEnv, NothingToPaceReturns) {
  voxflow::test_pace(0, 1000.0);
  voxflow::test_pace(1000000, 0.0);
  voxflow::test_pace(-5, 1.0);
  SUCCEED();
}

}  // namespace
