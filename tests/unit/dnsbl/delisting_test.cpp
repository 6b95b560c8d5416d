#include "dnsbl/delisting.h"

#include <gtest/gtest.h>

namespace mxir::dnsbl {
namespace {

Timestamp Day(int d) { return Timestamp::FromSeconds(1790000000 + d * 86400); }

TEST(DelistingTest, FullCycleWithRelisting) {
  std::optional<casedb::DelistingRow> row;
  EXPECT_FALSE(ApplyObservation(row, "ip", "z", "l", CheckStatus::kNotListed, Day(0)));
  EXPECT_FALSE(row.has_value());
  auto t = ApplyObservation(row, "ip", "z", "l", CheckStatus::kListed, Day(1));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->event, kEventNewListing);
  EXPECT_EQ(row->state, kStateListed);
  EXPECT_FALSE(ApplyObservation(row, "ip", "z", "l", CheckStatus::kListed, Day(2)));
  EXPECT_EQ(*row->last_listed, Day(2));
  // Refusals and errors say nothing about the listing.
  EXPECT_FALSE(ApplyObservation(row, "ip", "z", "l", CheckStatus::kRefused, Day(2)));
  EXPECT_FALSE(ApplyObservation(row, "ip", "z", "l", CheckStatus::kError, Day(2)));
  EXPECT_EQ(row->state, kStateListed);

  EXPECT_FALSE(ApplyRequest(*row, "form", "", false, Day(2)).ok());  // fix first
  EXPECT_EQ(ApplyNote(*row, "reset", true, Day(2))->to_state, kStateCauseFixed);
  EXPECT_EQ(ApplyRequest(*row, "form", "T-1", false, Day(3))->to_state, kStateRequested);
  EXPECT_EQ(row->request_ref, "T-1");

  t = ApplyObservation(row, "ip", "z", "l", CheckStatus::kNotListed, Day(4));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->event, kEventDelisted);
  EXPECT_EQ(*row->delisted_at, Day(4));
  EXPECT_FALSE(ApplyRequest(*row, "form", "", true, Day(4)).ok());

  t = ApplyObservation(row, "ip", "z", "l", CheckStatus::kListed, Day(6));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->event, kEventRelisted);
  EXPECT_EQ(row->state, kStateRelisted);
  EXPECT_EQ(row->relist_count, 1);
  EXPECT_EQ(*row->listed_since, Day(6));
  EXPECT_FALSE(row->requested_at.has_value());  // a new cycle
  EXPECT_EQ(*row->first_listed, Day(1));
  EXPECT_EQ(ApplyRequest(*row, "form", "", true, Day(6))->to_state, kStateRequested);
}

TEST(DelistingTest, NotesWithoutFixKeepTheState) {
  std::optional<casedb::DelistingRow> row;
  ApplyObservation(row, "ip", "z", "l", CheckStatus::kListed, Day(1));
  auto t = ApplyNote(*row, "called the ISP", false, Day(1));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->event, kEventNote);
  EXPECT_EQ(row->state, kStateListed);
  EXPECT_FALSE(ApplyNote(*row, "", false, Day(1)).ok());
}

}  // namespace
}  // namespace mxir::dnsbl
