// Even redistribution of work items (src/core/work_balance) under 1, 2 and 3 ranks: every rank
// ends with its share of the global order, and results come back to where the items were.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/work_balance.hpp"

using namespace voxflow;

namespace {
// items of rank r: global ids start[r] .. start[r] + n[r] - 1, row = (id, 10 * id + 1, -id)
void check_layout(const std::vector<std::int64_t>& per_rank) {
  Comm comm;
  const int P = comm.size(), me = comm.rank();
  std::int64_t start = 0, total = 0;
  for (int r = 0; r < P; ++r) {
    const std::int64_t n = per_rank[static_cast<size_t>(r) % per_rank.size()];
    if (r < me) start += n;
    total += n;
  }
  const std::int64_t n_mine = per_rank[static_cast<size_t>(me) % per_rank.size()];
  std::vector<double> rows;
  for (std::int64_t i = 0; i < n_mine; ++i) {
    const double id = static_cast<double>(start + i);
    rows.insert(rows.end(), {id, 10 * id + 1, -id});
  }
  const WorkBalancePlan plan = plan_work_balance(n_mine, comm);
  EXPECT_EQ(plan.n_global, total);
  const std::int64_t share = total / P + (me < total % P ? 1 : 0);
  EXPECT_EQ(plan.n_balanced, share);
  const std::vector<double> got = balance_forward(plan, rows, 3, comm);
  ASSERT_EQ(got.size(), static_cast<size_t>(share * 3));
  for (std::int64_t i = 0; i < share; ++i) {
    const double id = static_cast<double>(plan.first_balanced + i);
    EXPECT_EQ(got[i * 3], id);
    EXPECT_EQ(got[i * 3 + 1], 10 * id + 1);
    EXPECT_EQ(got[i * 3 + 2], -id);
  }
  // results (2 values per item) travel back in the original order
  std::vector<double> res;
  for (std::int64_t i = 0; i < share; ++i) res.insert(res.end(), {got[i * 3] * 2, got[i * 3] + 0.5});
  const std::vector<double> back = balance_backward(plan, res, 2, comm);
  ASSERT_EQ(back.size(), static_cast<size_t>(n_mine * 2));
  for (std::int64_t i = 0; i < n_mine; ++i) {
    EXPECT_EQ(back[i * 2], 2.0 * static_cast<double>(start + i));
    EXPECT_EQ(back[i * 2 + 1], static_cast<double>(start + i) + 0.5);
  }
  // the same into caller memory (no allocation; poisoned first, so every value must be written)
  std::vector<double> into(static_cast<size_t>(n_mine * 2) + 1, std::nan(""));
  balance_backward_into(plan, res.data(), share, 2, into.data(), comm);
  for (std::int64_t i = 0; i < n_mine * 2; ++i) EXPECT_EQ(into[static_cast<size_t>(i)], back[static_cast<size_t>(i)]) << i;
  EXPECT_TRUE(std::isnan(into.back()));  // nothing written past the n_local rows
  EXPECT_THROW(balance_backward_into(plan, res.data(), share + 1, 2, into.data(), comm), InternalError);
  // the rows that stay: my own items in my balanced share, left out of the exchange on request
  const StayingRows stay = staying_rows(plan, comm);
  for (std::int64_t k = 0; k < stay.count; ++k)
    EXPECT_EQ(got[static_cast<size_t>((stay.first_balanced_row + k) * 3)], static_cast<double>(start + stay.first_local_item + k));
  std::int64_t staying_expected = 0;  // |[start, start + n_mine) intersected with my share|
  {
    const std::int64_t lo = std::max(start, plan.first_balanced), hi = std::min(start + n_mine, plan.first_balanced + share);
    staying_expected = std::max<std::int64_t>(0, hi - lo);
  }
  EXPECT_EQ(stay.count, staying_expected);
  std::vector<double> res_others = res;  // the staying rows poisoned: they must not be read
  for (std::int64_t k = 0; k < stay.count * 2; ++k) res_others[static_cast<size_t>(stay.first_balanced_row * 2 + k)] = std::nan("");
  std::vector<double> others(static_cast<size_t>(n_mine * 2), -7.0);
  balance_backward_into(plan, res_others.data(), share, 2, others.data(), comm, /*skip_staying=*/true);
  for (std::int64_t i = 0; i < n_mine; ++i) {
    const bool stays = i >= stay.first_local_item && i < stay.first_local_item + stay.count;
    for (int c = 0; c < 2; ++c)
      EXPECT_EQ(others[static_cast<size_t>(i * 2 + c)], stays ? -7.0 : back[static_cast<size_t>(i * 2 + c)]) << i;
  }
}
}  // namespace

TEST(WorkBalance, EvenItemsStayBalanced) { check_layout({7}); }
TEST(WorkBalance, AllItemsOnRankZero) {
  Comm comm;
  std::vector<std::int64_t> n(static_cast<size_t>(comm.size()), 0);
  n[0] = 11;
  check_layout(n);
}
TEST(WorkBalance, UnevenAndEmptyRanks) { check_layout({0, 5, 1}); }
TEST(WorkBalance, NoItemsAnywhere) { check_layout({0}); }
TEST(WorkBalance, FewerItemsThanRanks) {
  Comm comm;
  std::vector<std::int64_t> n(static_cast<size_t>(comm.size()), 0);
  n[comm.size() - 1] = 1;
  check_layout(n);
}
TEST(WorkBalance, WrongRowSizeIsAnError) {
  Comm comm;
  const WorkBalancePlan plan = plan_work_balance(2, comm);
  EXPECT_THROW(balance_forward(plan, std::vector<double>(5), 3, comm), InternalError);
}
