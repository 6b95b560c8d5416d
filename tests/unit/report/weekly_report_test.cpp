#include "report/weekly_report.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/finding_store.h"
#include "dnsbl/case_recorder.h"

namespace mxir::report {
namespace {

class WeeklyReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mxir-report-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto c =
        casedb::CaseDb::Create(dir_ + "/t.case", {"Acme <outbreak>", {}, {}, {}, "test"}, clock_);
    ASSERT_TRUE(c.ok()) << c.error().message;
    case_.emplace(std::move(*c));
    auto cat = dnsbl::DnsblCatalog::Parse(
        R"({"zones": [{"id": "cop", "zone": "cop.example", "kinds": ["ip4"], "expiry_hours": 24,
            "next_action": "wait: expires by itself about 24 h after the last spam",
            "removal_url": "https://cop.example/", "codes": [["127.0.0.2", "listed", "x"]]},
           {"id": "psbl", "zone": "psbl.example", "kinds": ["ip4"],
            "next_action": "self-service removal at https://psbl.example/",
            "codes": [["127.0.0.2", "listed", "x"]]}]})",
        "test");
    ASSERT_TRUE(cat.ok());
    catalog_.emplace(std::move(*cat));
  }
  void TearDown() override {
    case_.reset();
    std::filesystem::remove_all(dir_);
  }
  // One day's checks: the IP's status on cop and psbl.
  void Day(dnsbl::CheckStatus cop, dnsbl::CheckStatus psbl) {
    std::vector<dnsbl::CheckResult> rs;
    for (auto [zone, st] : {std::pair{"cop.example", cop}, std::pair{"psbl.example", psbl}}) {
      dnsbl::CheckResult r;
      r.ts = clock_.Now();
      r.target = "192.0.2.25";
      r.zone = zone;
      r.zone_id = zone == std::string("cop.example") ? "cop" : "psbl";
      r.status = st;
      rs.push_back(r);
    }
    ASSERT_TRUE(dnsbl::RecordResults(*case_, rs, "test").ok());
    clock_.Advance(kMicrosPerDay);
  }
  std::string dir_;
  // 2026-11-02 08:00 UTC
  ManualClock clock_{Timestamp::FromSeconds(1793606400 + 8 * 3600)};
  std::optional<casedb::CaseDb> case_;
  std::optional<dnsbl::DnsblCatalog> catalog_;
};

TEST_F(WeeklyReportTest, SummaryRowsTimelineAndRenderings) {
  using S = dnsbl::CheckStatus;
  // Week 1: listed on both from day 0. Week 2: cop clean on day 9, relisted on day 11;
  // psbl fixed, requested, clean on day 10; one refused day.
  for (int d = 0; d < 7; ++d) Day(S::kListed, S::kListed);
  Day(S::kListed, S::kListed);  // day 7
  ASSERT_TRUE(dnsbl::RecordNote(*case_, "192.0.2.25", "psbl.example", "trap hit", true, "t").ok());
  ASSERT_TRUE(
      dnsbl::RecordRequest(*case_, "192.0.2.25", "psbl.example", "self-service", "", false, "t")
          .ok());
  Day(S::kRefused, S::kListed);       // day 8
  Day(S::kNotListed, S::kListed);     // day 9
  Day(S::kNotListed, S::kNotListed);  // day 10
  Day(S::kListed, S::kNotListed);     // day 11
  Day(S::kListed, S::kNotListed);     // day 12
  Day(S::kListed, S::kNotListed);     // day 13
  // now = day 14, 08:00; the week is days 7..13.
  auto tz = TimeZone::Utc();
  auto r = BuildWeeklyReport(*case_, &*catalog_, clock_.Now(), tz);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->listed_now, 1);
  EXPECT_EQ(r->listed_week_ago, 2);
  EXPECT_EQ(r->new_listings, 0);
  EXPECT_EQ(r->delistings, 2);
  EXPECT_EQ(r->relistings, 1);
  EXPECT_EQ(r->requests, 1);
  ASSERT_EQ(r->rows.size(), 2u);
  const ReportRow& cop = r->rows[0];  // the relisted row leads
  EXPECT_EQ(cop.zone, "cop.example");
  EXPECT_EQ(cop.state, "relisted");
  EXPECT_TRUE(cop.relisted);
  EXPECT_EQ(cop.days, "LLCCLLL");  // the refused day keeps the last conclusive status
  EXPECT_EQ(*cop.days_listed, 3);
  EXPECT_NE(cop.next_action.find("fix the cause first"), std::string::npos);
  const ReportRow& psbl = r->rows[1];
  EXPECT_EQ(psbl.state, "delisted");
  EXPECT_EQ(psbl.days, "LLLCCCC");
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].status, "refused");

  std::string md = RenderMarkdown(*r, tz);
  EXPECT_NE(md.find("Listed on **1** lists now; **2** a week ago."), std::string::npos) << md;
  EXPECT_NE(md.find("**RELISTED:** 192.0.2.25 on cop.example"), std::string::npos);
  EXPECT_NE(md.find("| 192.0.2.25 | cop.example | L | L | C | C | L | L | L |"), std::string::npos)
      << md;
  std::string html = RenderHtml(*r, tz);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Acme &lt;outbreak&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  std::string csv = RenderCsv(*r, tz);
  EXPECT_NE(csv.find("192.0.2.25,cop.example,cop,listed,relisted,"), std::string::npos) << csv;
  for (const auto& row : r->rows) {  // removal pages are one click away
    if (row.next_action.find("https://") != std::string::npos) {
      EXPECT_NE(html.find("<a href=\"https://"), std::string::npos);
    }
  }

  // A time zone shifts the day labels, not the counts.
  auto berlin = TimeZone::FromName("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  auto rb = BuildWeeklyReport(*case_, &*catalog_, clock_.Now(), *berlin);
  EXPECT_EQ(rb->listed_now, 1);
  EXPECT_NE(RenderMarkdown(*rb, *berlin).find("Europe/Berlin"), std::string::npos);
  // CSV times follow the zone too (RFC 3339 with the zone's offset).
  std::string csv_berlin = RenderCsv(*rb, *berlin);
  EXPECT_EQ(csv_berlin.find("Z,"), std::string::npos) << csv_berlin;
}

TEST_F(WeeklyReportTest, EmptyCase) {
  auto r = BuildWeeklyReport(*case_, nullptr, clock_.Now(), TimeZone::Utc());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->listed_now, 0);
  EXPECT_NE(RenderMarkdown(*r, TimeZone::Utc()).find("No listing recorded"), std::string::npos);
  EXPECT_NE(RenderHtml(*r, TimeZone::Utc()).find("No listing recorded"), std::string::npos);
  // P8: nothing checked is said, not "listed on 0 lists" as if that were reassuring.
  EXPECT_NE(RenderMarkdown(*r, TimeZone::Utc()).find("**No blocklist checks this week**"),
            std::string::npos);
  EXPECT_NE(RenderHtml(*r, TimeZone::Utc()).find("No blocklist checks this week"),
            std::string::npos);
}

// P8: the report carries the incident so far (findings, what was done) so it can go to
// management as it is; removal URLs are links; CSV times follow --tz.
TEST_F(WeeklyReportTest, IncidentSoFarLinksAndZone) {
  Finding f;
  f.id = "account_compromise-1";
  f.kind = "account_compromise";
  f.severity = Severity::kCritical;
  f.client_ip = "192.0.2.9";
  f.user = "info";
  f.evidence["verdict"] = "account taken over";
  f.first_seen = f.last_seen = clock_.Now() - kMicrosPerDay;
  ASSERT_TRUE(casedb::FindingStore(*case_).Upsert(f).ok());
  ASSERT_TRUE(casedb::ActionLog(*case_)
                  .Record("reset", "info", "reset_password", "done", {{"steps", 3}})
                  .ok());
  ASSERT_TRUE(casedb::ActionLog(*case_)
                  .Record("case", "case", "note", "ok", {{"text", "called the provider"}})
                  .ok());
  auto r = BuildWeeklyReport(*case_, nullptr, clock_.Now(), TimeZone::Utc());
  ASSERT_TRUE(r.ok());
  std::string md = RenderMarkdown(*r, TimeZone::Utc());
  EXPECT_NE(md.find("## The incident so far"), std::string::npos) << md;
  EXPECT_NE(md.find("| critical | account_compromise | 192.0.2.9 | info | account taken over | "
                    "active |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("reset_password info: done"), std::string::npos) << md;
  EXPECT_NE(md.find("note case: ok — called the provider"), std::string::npos) << md;
  std::string html = RenderHtml(*r, TimeZone::Utc());
  EXPECT_NE(html.find("account taken over"), std::string::npos);
  EXPECT_NE(html.find("name=\"viewport\""), std::string::npos);
}

}  // namespace
}  // namespace mxir::report
