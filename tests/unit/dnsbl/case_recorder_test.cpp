#include "dnsbl/case_recorder.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/dnsbl_store.h"

namespace mxir::dnsbl {
namespace {

class CaseRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mxir-dnsbl-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto c = casedb::CaseDb::Create(dir_ + "/t.case", {"t", {}, {}, {}, "test"}, clock_);
    ASSERT_TRUE(c.ok()) << c.error().message;
    case_.emplace(std::move(*c));
  }
  void TearDown() override {
    case_.reset();
    std::filesystem::remove_all(dir_);
  }
  CheckResult Result(CheckStatus s) {
    CheckResult r;
    r.ts = clock_.Now();
    r.target = "192.0.2.25";
    r.target_kind = "ip";
    r.zone = "zen.example";
    r.zone_id = "zen";
    r.status = s;
    if (s == CheckStatus::kListed) r.codes = {"127.0.0.2"};
    return r;
  }
  std::string dir_;
  ManualClock clock_{Timestamp::FromSeconds(1790000000)};
  std::optional<casedb::CaseDb> case_;
};

TEST_F(CaseRecorderTest, RecordsChecksTransitionsAndActions) {
  auto c1 = RecordResults(*case_, {Result(CheckStatus::kListed)}, "dnsbl");
  ASSERT_TRUE(c1.ok()) << c1.error().message;
  ASSERT_EQ(c1->size(), 1u);
  EXPECT_EQ((*c1)[0].event, "new_listing");
  clock_.Advance(kMicrosPerDay);
  EXPECT_TRUE(RecordResults(*case_, {Result(CheckStatus::kRefused)}, "dnsbl")->empty());
  auto note = RecordNote(*case_, "192.0.2.25", "zen.example", "fixed it", true, "dnsbl");
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->state, "cause_fixed");
  auto req = RecordRequest(*case_, "192.0.2.25", "zen.example", "form", "R1", false, "dnsbl");
  ASSERT_TRUE(req.ok());
  clock_.Advance(kMicrosPerDay);
  auto c2 = RecordResults(*case_, {Result(CheckStatus::kNotListed)}, "dnsbl");
  ASSERT_EQ(c2->size(), 1u);
  EXPECT_EQ((*c2)[0].event, "delisted");
  clock_.Advance(kMicrosPerDay);
  auto c3 = RecordResults(*case_, {Result(CheckStatus::kListed)}, "dnsbl");
  ASSERT_EQ(c3->size(), 1u);
  EXPECT_EQ((*c3)[0].event, "relisted");
  EXPECT_EQ((*c3)[0].relist_count, 1);

  casedb::DnsblStore store(*case_);
  EXPECT_EQ(store.ListChecks()->size(), 4u);
  auto events = store.ListDelistingEvents();
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ((*events)[1].event, "cause_fixed");
  EXPECT_EQ((*events)[2].details["ref"], "R1");
  casedb::ActionLog log(*case_);
  auto actions = log.List();
  int relisted = 0, checks = 0;
  for (const auto& a : *actions) {
    relisted += a.action == "dnsbl.relisted";
    checks += a.action == "dnsbl.check";
  }
  EXPECT_EQ(relisted, 1);
  EXPECT_EQ(checks, 4);
}

TEST_F(CaseRecorderTest, NotesNeedARecordedListing) {
  auto r = RecordNote(*case_, "192.0.2.99", "zen.example", "x", true, "dnsbl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no listing"), std::string::npos);
}

}  // namespace
}  // namespace mxir::dnsbl
