// CaseAuditWriter: policy decisions (queued as flat bytes in the request thread) and other records
// reach the case's action log in the order they were handed over, each with the details the
// record itself materializes; a full queue refuses instead of dropping.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "relay/audit.h"

namespace mxir::relay {
namespace {

std::string NewCasePath() {
  std::string path = testing::MakeTempDir("mxir-relay-audit-test") + "/a.case";
  casedb::NewCase info;
  info.title = "relay audit";
  EXPECT_TRUE(casedb::CaseDb::Create(path, info).ok());
  return path;
}

std::vector<casedb::Action> RelayActions(const std::string& path) {
  auto db = casedb::CaseDb::Open(path, false, "test");
  EXPECT_TRUE(db.ok());
  auto all = casedb::ActionLog(*db).List(std::nullopt, std::nullopt);
  EXPECT_TRUE(all.ok());
  std::vector<casedb::Action> out;
  for (auto& a : *all) {
    if (a.tool == "relay") out.push_back(std::move(a));
  }
  return out;
}

// Property: whatever the bytes, every record comes back in order with the details, target,
// action and outcome that AuditRecord::Materialize gives the same record.
TEST(CaseAuditWriter, RecordsArriveInOrderWithTheirDetails) {
  std::string path = NewCasePath();
  auto w = CaseAuditWriter::Start(path, 100000, 5);
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::mt19937 rng(1515);
  static constexpr char kAlphabet[] = "ab@.\"\\\n\x01\xc3\xa9\xff =";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  auto text = [&] {
    std::string s;
    for (size_t i = rng() % 30; i > 0; --i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  std::vector<AuditRecord> expected;
  for (int i = 0; i < 3000; ++i) {
    AuditRecord rec;
    if (i % 500 == 7) {
      rec.ts_us = 1796000000000000 + i;
      rec.target = "t" + text();
      rec.action = "relay policy start";
      rec.outcome = "running";
      rec.details = nlohmann::ordered_json{{"n", i}, {"x", "y"}};
    } else {
      AuditRecord::Policy p;
      p.request.attributes = {{"protocol_state", i % 3 ? "RCPT" : "END-OF-MESSAGE"},
                              {"sender", text()},
                              {"recipient", text()},
                              {"sasl_username", text()},
                              {"instance", "i" + std::to_string(i)},
                              {"unknown_" + text(), text()}};
      p.decision.action = i % 4 ? "DUNNO" : "DEFER_IF_PERMIT rate " + text();
      p.decision.rule = "permit";
      p.decision.account = i % 5 ? "" : "acct" + std::to_string(i);
      p.decision.ts_us = 1796000000000000 + i;
      p.decision.counts.account_messages = i % 2 ? i : -1;
      p.decision.counts.account_recipients = i;
      p.decision.counts.account_domains = 1;
      p.decision.counts.client_recipients = i % 3 ? 7 : -1;
      rec.policy = std::move(p);
    }
    AuditRecord copy = rec;
    copy.Materialize();
    expected.push_back(std::move(copy));
    ASSERT_TRUE((*w)->Record(std::move(rec)));
  }
  (*w)->Stop();
  EXPECT_EQ((*w)->written(), expected.size());
  auto got = RelayActions(path);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ts.micros(), expected[i].ts_us) << i;
    EXPECT_EQ(got[i].target, expected[i].target) << i;
    EXPECT_EQ(got[i].action, expected[i].action) << i;
    EXPECT_EQ(got[i].outcome, expected[i].outcome) << i;
    EXPECT_EQ(got[i].details, expected[i].details) << i;
  }
}

TEST(CaseAuditWriter, AFullQueueRefusesAndNothingIsLost) {
  std::string path = NewCasePath();
  // A long flush interval: nothing is written before Stop(), so the bound is reached.
  auto w = CaseAuditWriter::Start(path, 10, 60000);
  ASSERT_TRUE(w.ok());
  PolicyRequest r;
  r.attributes = {{"protocol_state", "RCPT"}, {"sasl_username", "a@company.example"}};
  Decision d;
  d.action = "DUNNO";
  d.rule = "permit";
  d.ts_us = 1796000000000000;
  int taken = 0;
  for (int i = 0; i < 25; ++i) taken += (*w)->RecordPolicy(r, d) ? 1 : 0;
  EXPECT_EQ(taken, 10);
  (*w)->Stop();
  EXPECT_FALSE((*w)->RecordPolicy(r, d));  // stopped
  EXPECT_EQ(RelayActions(path).size(), 10u);
}

}  // namespace
}  // namespace mxir::relay
