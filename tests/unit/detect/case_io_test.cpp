// Storing findings in a case: re-running updates instead of duplicating; listed addresses
// become assets; the case's assets set locality.
#include "detect/case_io.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/asset_store.h"
#include "casedb/case_db.h"
#include "casedb/event_store.h"
#include "casedb/finding_store.h"
#include "detect/detect_settings.h"
#include "test_events.h"

namespace mxir::detect::test {
namespace {

class CaseIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mxir-detect-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.case").string();
    casedb::NewCase info;
    info.title = "test";
    info.domains = {"acme.example"};
    info.ips = {"198.51.100.0"};
    auto c = casedb::CaseDb::Create(path_, info);
    ASSERT_TRUE(c.ok()) << c.error().message;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

// detect --follow stores through a StoredFindings cache: a finding stored unchanged by this
// process is not rewritten, a changed one is, and one resolved (or removed) by someone else
// meanwhile is written again (active again) although unchanged.
TEST_F(CaseIoTest, FollowStoresOnlyFindingsThatChanged) {
  auto c = casedb::CaseDb::Open(path_);
  ASSERT_TRUE(c.ok());
  std::vector<Event> v;
  AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
  AddStale(&v, "pcap", "10.0.0.6", "eve@acme.example", 20, 60, "bbbbbbbbbbbbbbbb");
  DetectEngine engine({}, DefaultLocality());
  for (const Event& e : v) engine.Add(e);
  DetectResult r = engine.Pass();
  ASSERT_EQ(r.findings.size(), 2u);
  StoredFindings cache;
  auto s = StoreResult(*c, r, {}, &cache);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->added, 2);
  EXPECT_EQ(cache.last.size(), 2u);
  // The same findings again: nothing written.
  s = StoreResult(*c, r, {}, &cache);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->added + s->updated, 0);
  EXPECT_EQ(s->unchanged, 2);
  // More failures of one device: that finding changes, the other does not.
  std::vector<Event> more;
  AddStale(&more, "pcap", "10.0.0.5", "bob@acme.example", 5, 60, "aaaaaaaaaaaaaaaa", 7200);
  for (const Event& e : more) engine.Add(e);
  DetectResult r2 = engine.Pass();
  s = StoreResult(*c, r2, {}, &cache);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->updated, 1);
  EXPECT_EQ(s->unchanged, 1);
  auto stored = casedb::FindingStore(*c).List();
  ASSERT_TRUE(stored.ok());
  for (const Finding& f : *stored) {
    for (const Finding& now : r2.findings) {
      if (now.id == f.id) {
        EXPECT_EQ(FindingToJson(f).dump(), FindingToJson(now).dump());
      }
    }
  }
  // Someone resolves a finding meanwhile: the next store makes it active again.
  auto set =
      casedb::FindingStore(*c).SetStatus(r2.findings[0].id, casedb::kFindingResolved, "test");
  ASSERT_TRUE(set.ok() && *set);
  s = StoreResult(*c, r2, {}, &cache);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->updated, 1);
  EXPECT_EQ(s->unchanged, 1);
  ASSERT_EQ(s->reactivated.size(), 1u);
  EXPECT_EQ(s->reactivated[0], r2.findings[0].id);
  // A result without one of them: the cache keeps only the other, as stored.
  DetectResult r3;
  r3.findings = {r2.findings[1]};
  s = StoreResult(*c, r3, {}, &cache);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->unchanged, 1);
  ASSERT_EQ(cache.last.size(), 1u);
  EXPECT_EQ(FindingToJson(cache.last.at(r2.findings[1].id)).dump(),
            FindingToJson(r2.findings[1]).dump());
  // The kept one changes: written, and the cache follows.
  r3.findings[0].counts["failures"] = 999;
  s = StoreResult(*c, r3, {}, &cache);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->updated, 1);
  EXPECT_EQ(cache.last.at(r3.findings[0].id).counts["failures"], 999);
}

TEST_F(CaseIoTest, StoreTwiceDoesNotDuplicateAndAddsListedAssets) {
  auto c = casedb::CaseDb::Open(path_);
  ASSERT_TRUE(c.ok());
  {
    casedb::EventWriter w(*c);
    std::vector<Event> v;
    AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
    Event d = Base(5000, "postfix", "", "", EventKind::kDelivery);
    d.status = "bounced";
    d.code = 554;
    d.text = "Client host [198.51.100.7] blocked using zen.spamhaus.org";
    d.origin.file = "mail.log";
    d.origin.line = 7;
    v.push_back(d);
    for (size_t i = 0; i < v.size(); ++i) {
      v[i].origin.file = "x";
      v[i].origin.line = static_cast<int64_t>(i + 1);
      ASSERT_TRUE(w.Add(v[i]).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  for (int run = 0; run < 2; ++run) {
    Locality loc = DefaultLocality();
    ASSERT_TRUE(AddCaseLocality(*c, &loc).ok());
    EXPECT_TRUE(loc.IsLocalDomain("acme.example"));
    DetectEngine engine({}, loc);
    ASSERT_TRUE(FeedCaseEvents(*c, std::nullopt, std::nullopt, &engine).ok());
    DetectResult r = engine.Finish();
    ASSERT_EQ(r.findings.size(), 2u);
    auto s = StoreResult(*c, r);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->added, run == 0 ? 2 : 0);
    EXPECT_EQ(s->updated, run == 0 ? 0 : 2);
    EXPECT_EQ(s->assets_added, run == 0 ? 1 : 0);
  }
  auto findings = casedb::FindingStore(*c).List();
  ASSERT_TRUE(findings.ok());
  EXPECT_EQ(findings->size(), 2u);
  auto ips = casedb::AssetStore(*c).List(casedb::AssetKind::kIp);
  ASSERT_TRUE(ips.ok());
  bool listed = false;
  for (const auto& a : *ips) listed |= a.value == "198.51.100.7";
  EXPECT_TRUE(listed);
  auto actions = casedb::ActionLog(*c).List();
  ASSERT_TRUE(actions.ok());
  int detect_runs = 0;
  for (const auto& a : *actions) detect_runs += a.tool == "detect";
  EXPECT_EQ(detect_runs, 2);
}

// Findings have a life: a run that no longer supports a stored finding resolves it (with why),
// a run over only part of the time cannot, a run that supports it again reactivates it, and a
// dismissed finding stays dismissed whatever later runs find.
TEST_F(CaseIoTest, FindingsAreResolvedReactivatedAndDismissalsKept) {
  auto c = casedb::CaseDb::Open(path_);
  ASSERT_TRUE(c.ok());
  {
    casedb::EventWriter w(*c);
    std::vector<Event> v;
    AddStale(&v, "pcap", "10.0.0.5", "bob@acme.example", 20, 60, "aaaaaaaaaaaaaaaa");
    for (size_t i = 0; i < v.size(); ++i) {
      v[i].origin.file = "x";
      v[i].origin.line = static_cast<int64_t>(i + 1);
      ASSERT_TRUE(w.Add(v[i]).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  auto run = [&](int64_t stale_min_failures, JudgeStored judge) {
    DetectConfig cfg;
    cfg.stale_min_failures = stale_min_failures;
    Locality loc = DefaultLocality();
    DetectEngine engine(cfg, loc);
    EXPECT_TRUE(FeedCaseEvents(*c, judge.since, judge.until, &engine).ok());
    auto s = StoreResult(*c, engine.Finish(), judge);
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : StoreSummary{};
  };
  auto status_of = [&](const std::string& id) {
    auto f = casedb::FindingStore(*c).Get(id);
    EXPECT_TRUE(f.ok() && *f);
    return f.ok() && *f ? (*f)->status : std::string("?");
  };
  StoreSummary first = run(6, {true, std::nullopt, std::nullopt, ""});
  ASSERT_EQ(first.added, 1);
  auto stored = casedb::FindingStore(*c).ListStored();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  const std::string id = stored->front().finding.id;
  EXPECT_EQ(status_of(id), "active");

  // A run over a window that ends before the finding cannot judge it.
  StoreSummary partial = run(
      1000, {true, std::nullopt, stored->front().finding.first_seen, "--stale-min-failures 1000"});
  EXPECT_TRUE(partial.resolved.empty());
  EXPECT_EQ(status_of(id), "active");
  // Events from elsewhere (judge = false) never resolve a stored finding.
  EXPECT_TRUE(run(1000, {false, std::nullopt, std::nullopt, ""}).resolved.empty());
  EXPECT_EQ(status_of(id), "active");

  StoreSummary raised = run(1000, {true, std::nullopt, std::nullopt, "--stale-min-failures 1000"});
  ASSERT_EQ(raised.resolved, std::vector<std::string>{id});
  auto after = casedb::FindingStore(*c).Get(id);
  ASSERT_TRUE(after.ok() && *after);
  EXPECT_EQ((*after)->status, "resolved");
  EXPECT_NE((*after)->status_why.find("--stale-min-failures 1000"), std::string::npos);
  EXPECT_TRUE((*after)->status_at.has_value());

  StoreSummary back = run(6, {true, std::nullopt, std::nullopt, ""});
  EXPECT_EQ(back.reactivated, std::vector<std::string>{id});
  EXPECT_EQ(status_of(id), "active");

  auto dismissed = casedb::FindingStore(*c).SetStatus(id, "dismissed", "our own test device");
  ASSERT_TRUE(dismissed.ok() && *dismissed);
  StoreSummary again = run(6, {true, std::nullopt, std::nullopt, ""});
  EXPECT_EQ(again.dismissed, std::vector<std::string>{id});
  EXPECT_EQ(status_of(id), "dismissed");
  run(1000, {true, std::nullopt, std::nullopt, ""});  // not active: not resolved either
  EXPECT_EQ(status_of(id), "dismissed");
  auto missing = casedb::FindingStore(*c).SetStatus("no-such-id", "dismissed", "x");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  EXPECT_FALSE(casedb::FindingStore(*c).SetStatus(id, "gone", "x").ok());
}

TEST_F(CaseIoTest, DetectSettingsAreStoredOverlaidAndApplied) {
  auto c = casedb::CaseDb::Open(path_);
  ASSERT_TRUE(c.ok());
  auto none = LoadCaseSettings(*c);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  DetectSettings s;
  s.internal = {"127.0.0.0/25"};
  s.local_domains = {"acme.example"};
  s.thresholds["brute-min-failures"] = "20";
  ASSERT_TRUE(StoreCaseSettings(*c, s).ok());
  auto back = LoadCaseSettings(*c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->CommandLine(),
            "--internal 127.0.0.0/25 --local-domain acme.example --brute-min-failures 20");

  DetectSettings given;
  given.thresholds["stale-min-failures"] = "9";
  given.submission_ports = {"2587"};
  DetectSettings merged = *back;
  merged.Overlay(given);
  EXPECT_EQ(merged.internal, s.internal);  // not given again: kept
  EXPECT_EQ(merged.thresholds.size(), 2u);
  DetectConfig cfg;
  ASSERT_TRUE(merged.ApplyTo(&cfg).ok());
  EXPECT_EQ(cfg.brute_min_failures, 20);
  EXPECT_EQ(cfg.stale_min_failures, 9);
  EXPECT_EQ(cfg.submission_ports, std::vector<int>{2587});

  DetectSettings bad;
  bad.thresholds["no-such-threshold"] = "1";
  EXPECT_FALSE(bad.ApplyTo(&cfg).ok());
  auto junk = DetectSettings::FromJson(nlohmann::ordered_json{{"internal", "not a list"}});
  EXPECT_FALSE(junk.ok());
  auto actions = casedb::ActionLog(*c).List();
  ASSERT_TRUE(actions.ok());
  ASSERT_FALSE(actions->empty());
  EXPECT_EQ(actions->back().action, "store detect settings");
}

}  // namespace
}  // namespace mxir::detect::test
