// Unit tests of lib/playbook: the runbook format's checks (on shipped and deliberately broken
// runbooks), expressions, rendering into single arguments, JSON paths, the CACAO export's own
// checks, and the runner's gate, dry-run and interruption rules with a fake tool runner.
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "casedb/case_db.h"
#include "casedb/playbook_store.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/timestamp.h"
#include "playbook/cacao.h"
#include "playbook/expr.h"
#include "playbook/render.h"
#include "playbook/runbook.h"
#include "playbook/runner.h"

namespace mxir::playbook {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RunbookLint, ShippedRunbooksAreValid) {
  std::set<std::string> ids;
  for (const auto& f : Files(std::string(MXIR_SOURCE_DIR) + "/playbooks")) {
    LintResult lint;
    auto rb = LoadRunbookFile(f, &lint);
    ASSERT_TRUE(rb.ok()) << rb.error().message;
    EXPECT_TRUE(lint.errors.empty());
    ids.insert(rb->id);
  }
  // The seven names findings use (spec/events.md, "playbook").
  for (const char* id : {"triage", "stale-credentials", "compromised-account", "open-relay",
                         "inbound-flood", "blocklisted", "throttled"})
    EXPECT_TRUE(ids.count(id)) << id;
}

// Each file under broken/ says in its first line which line and message lint must report:
// "# expect: LINE: text".
TEST(RunbookLint, BrokenRunbooksFailWithTheirLine) {
  auto files = Files(MXIR_PLAYBOOK_BROKEN);
  ASSERT_GE(files.size(), 15u);
  for (const auto& f : files) {
    auto text = ReadFile(f);
    ASSERT_TRUE(text.ok());
    std::string first = text->substr(0, text->find('\n'));
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << f;
    std::string rest = first.substr(10);
    std::string line = rest.substr(0, rest.find(':'));
    std::string msg = rest.substr(rest.find(':') + 2);
    LintResult lint;
    auto rb = LoadRunbook(f, *text, &lint);
    EXPECT_FALSE(rb.ok()) << f;
    bool found = false;
    std::string all;
    for (const auto& e : lint.errors) {
      all += e + "\n";
      if (e.rfind(f + ":" + line + ": ", 0) == 0 && e.find(msg) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << f << " should report line " << line << " '" << msg << "', got:\n" << all;
  }
}

TEST(RunbookLint, EveryProblemIsReportedNotJustTheFirst) {
  std::string text =
      "schema: mxir-runbook/1\nid: Bad_Id\nversion: 0\nupdated: yesterday\ntitle: t\n"
      "summary: s\nsteps:\n  - {id: a, type: say}\n  - {id: b, type: end}\n";
  LintResult lint;
  EXPECT_FALSE(LoadRunbook("x.yaml", text, &lint).ok());
  EXPECT_GE(lint.errors.size(), 5u);
  for (const auto& e : lint.errors) EXPECT_EQ(e.rfind("x.yaml:", 0), 0u) << e;
}

std::optional<json> Vars(const std::string& n) {
  static const std::map<std::string, json> v = {
      {"n", 42},     {"s", "abc"},        {"list", json::array({"listed", "error"})},
      {"yes", true}, {"no", false},       {"steps.m.rate", "60"},
      {"empty", ""}, {"nothing", nullptr}};
  auto it = v.find(n);
  if (it == v.end()) return std::nullopt;
  return it->second;
}

TEST(Expressions, Evaluate) {
  struct Case {
    const char* expr;
    bool want;
  } cases[] = {
      {"n > 41", true},
      {"n >= 42 and n <= 42", true},
      {"n == '42'", true},
      {"steps.m.rate > 50", true},
      {"'listed' in list", true},
      {"'x' in list", false},
      {"list contains 'error'", true},
      {"not yes", false},
      {"no or yes", true},
      {"(no or yes) and not no", true},
      {"s == \"abc\"", true},
      {"s != 'abc'", false},
      {"empty", false},
      {"nothing", false},
      {"nothing == null", true},
      {"'b' in s", true},
      {"-1 < n", true},
      {"yes == true", true},
  };
  for (const auto& c : cases) {
    auto v = Evaluate(c.expr, Vars);
    ASSERT_TRUE(v.ok()) << c.expr << ": " << v.error().message;
    EXPECT_EQ(Truthy(*v), c.want) << c.expr;
  }
}

TEST(Expressions, ErrorsAreClear) {
  EXPECT_EQ(Evaluate("unknown > 1", Vars).error().code, ErrorCode::kNotFound);
  for (const char* bad :
       {"n = 1", "n >", "(n > 1", "n > 1)", "'open", "n ! 1", "a.", "and n", "n > 1 n", "$x"})
    EXPECT_FALSE(ParseExpression(bad).ok()) << bad;
  EXPECT_FALSE(ParseExpression(std::string(100000, '(') + "n" + std::string(100000, ')')).ok());
  EXPECT_FALSE(ParseExpression(std::string(500, '(') + "n" + std::string(500, ')')).ok());
  std::string nots;
  for (int i = 0; i < 300; ++i) nots += "not ";
  EXPECT_FALSE(ParseExpression(nots + "n").ok());
  EXPECT_TRUE(ParseExpression("((n > 1))").ok());
  // No short-circuit surprise: the right side is not looked at when the left decides.
  EXPECT_TRUE(Evaluate("no and unknown", Vars).ok());
  EXPECT_FALSE(Evaluate("list > 1", Vars).ok());
}

TEST(Expressions, RandomTextNeverCrashes) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab1 ()'\"=<>!.-_andornotin";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    int len = static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    std::vector<std::string> ids;
    if (ParseExpression(s, &ids).ok()) (void)Evaluate(s, Vars);
  }
}

TEST(Render, SubstitutesIntoSingleArguments) {
  auto lookup = [](const std::string& n) -> std::optional<json> {
    if (n == "account") return json("bob smith@x.test; rm -rf /");
    if (n == "opt") return json("--hooks=/etc/shadow");
    if (n == "num") return json(3);
    if (n == "nl") return json("a\nb");
    return std::nullopt;
  };
  auto a = RenderArgv({"mxir", "reset", "${account}", "--length=${num}"}, lookup);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[2], "bob smith@x.test; rm -rf /");  // one argument, never a shell
  EXPECT_EQ((*a)[3], "--length=3");
  // A value that would be read as an option is refused.
  EXPECT_FALSE(RenderArgv({"mxir", "reset", "${opt}"}, lookup).ok());
  EXPECT_TRUE(RenderArgv({"mxir", "x", "--hooks=${opt}"}, lookup).ok());
  EXPECT_FALSE(RenderArgv({"mxir", "x", "${nl}"}, lookup).ok());
  EXPECT_EQ(RenderArgv({"mxir", "${missing}"}, lookup).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ShellQuoted({"mxir", "a b", "it's", "plain-1.2"}), "mxir 'a b' 'it'\\''s' plain-1.2");
  EXPECT_EQ(*RenderText("hi ${who}", lookup, true), "hi ${who}");
}

TEST(Render, JsonPath) {
  json doc = json::parse(R"([{"kind":"a","n":1,"sub":{"x":"y"}},{"kind":"b","n":2}])");
  EXPECT_EQ(*JsonPath(doc, "$.length"), json(2));
  EXPECT_EQ(*JsonPath(doc, "$[*].kind"), json::parse(R"(["a","b"])"));
  EXPECT_EQ(*JsonPath(doc, "$[0].sub.x"), json("y"));
  EXPECT_EQ(*JsonPath(doc, "$[5].kind"), json(nullptr));
  EXPECT_EQ(*JsonPath(doc, "$[*].sub.x"), json::parse(R"(["y"])"));
  for (const char* bad : {"kind", "$[", "$[x]", "$..a", "$."})
    EXPECT_FALSE(CheckJsonPath(bad).ok());
}

TEST(Cacao, Uuid5MatchesRfc4122) {
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "mxir")
  EXPECT_EQ(Uuid5("mxir"), "77c2e6de-a1e5-5bb4-bf7d-c27ea6101b8d");
}

TEST(Cacao, ShippedRunbooksExportCleanAndDeterministic) {
  for (const auto& f : Files(std::string(MXIR_SOURCE_DIR) + "/playbooks")) {
    auto rb = LoadRunbookFile(f, nullptr);
    ASSERT_TRUE(rb.ok());
    auto pb = ExportCacao(*rb);
    auto problems = CheckCacao(pb);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    EXPECT_TRUE(problems.empty()) << f << "\n" << all;
    EXPECT_EQ(pb.dump(), ExportCacao(*rb).dump());
    EXPECT_EQ(pb["spec_version"], "cacao-2.0");
  }
}

TEST(Cacao, CheckFindsWhatTheSchemaMisses) {
  auto rb = LoadRunbookFile(std::string(MXIR_SOURCE_DIR) + "/playbooks/triage.yaml", nullptr);
  ASSERT_TRUE(rb.ok());
  auto pb = ExportCacao(*rb);
  std::string action;
  for (auto it = pb["workflow"].begin(); it != pb["workflow"].end(); ++it)
    if (it.value()["type"] == "action" && it.value().contains("on_completion")) action = it.key();
  ASSERT_FALSE(action.empty());
  auto broken = pb;
  broken["workflow"][action]["on_success"] = broken["workflow"][action]["on_completion"];
  broken["workflow"][action]["on_failure"] = "end--00000000-0000-5000-8000-000000000000";
  broken["created"] = "2026-12-06T00:00:00Z";
  auto problems = CheckCacao(broken);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("on_completion together with on_success"), std::string::npos) << all;
  EXPECT_NE(all.find("not in the workflow"), std::string::npos) << all;
  EXPECT_NE(all.find("three fraction digits"), std::string::npos) << all;
}

// ---- the runner, with fake tools ----

class FakeTools final : public ProcessRunner {
 public:
  struct Answer {
    int exit_code = 0;
    std::string out;
  };
  std::map<std::string, Answer> answers;  // by argv[1] + " " + argv[2]
  std::vector<std::vector<std::string>> calls;
  Result<ProcessResult> Run(const std::vector<std::string>& argv, int64_t,
                            const std::map<std::string, std::string>&) override {
    calls.push_back(argv);
    ProcessResult r;
    std::string key = argv.size() > 2 ? argv[1] + " " + argv[2] : argv[1];
    auto it = answers.find(key);
    if (it != answers.end()) {
      r.exit_code = it->second.exit_code;
      r.out = it->second.out;
    } else {
      r.exit_code = 0;
      r.out = "[]";
    }
    return r;
  }
  int Count(const std::string& word) const {
    int n = 0;
    for (const auto& c : calls)
      if (std::find(c.begin(), c.end(), word) != c.end()) ++n;
    return n;
  }
};

class Nobody final : public Interaction {
 public:
  void Show(const std::string&) override {}
  std::optional<std::string> Ask(const std::string&) override { return std::nullopt; }
};

const char* kGateRunbook = R"(schema: mxir-runbook/1
id: test-gate
version: 1
updated: 2026-12-06
title: t
summary: s
inputs:
  account: {type: email, from: finding.user, required: true, describe: the account}
steps:
  - {id: look, type: run, run: [mxir, detect, --format, json], mutates: false,
     outputs: {kinds: "$[*].kind"}}
  - {id: ok, type: gate, confirm: "reset ${account}"}
  - id: change
    type: run
    run: [mxir, reset, "${account}", --provider, dovecot]
    requires: [ok]
    verify:
      run: [mxir, case, timeline, --since, "${step.started_at}", --format, json]
      outputs: {what: "$[*].what"}
      that: "'reset_password' in what"
  - {id: fin, type: end, outcome: resolved}
)";

struct RunnerFixture : ::testing::Test {
  void SetUp() override {
    dir = mxir::testing::MakeTempDir("unit-playbook");
    auto c = casedb::CaseDb::Create(dir + "/t.case", casedb::NewCase{"t", {}, {}, {}, "test"});
    ASSERT_TRUE(c.ok());
    db.emplace(std::move(*c));
    auto r = LoadRunbook("test-gate.yaml", kGateRunbook, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
    rb = *r;
    o.mxir_path = "/nonexistent/mxir";
    o.inputs["account"] = "bob@example.test";
  }
  std::string dir;
  std::optional<casedb::CaseDb> db;
  Runbook rb;
  RunOptions o;
  FakeTools tools;
  Nobody nobody;
};

TEST_F(RunnerFixture, GateIsNeverPassedWithoutApproval) {
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->exit_code, kRunWaiting);
  EXPECT_EQ(tools.Count("reset"), 0);
  // Resuming without --approve waits again and still runs nothing that changes.
  auto again = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, kRunWaiting);
  EXPECT_EQ(tools.Count("reset"), 0);
  // An approval of another step does not count.
  o.approvals.insert("look");
  EXPECT_EQ(ResumeRun(*db, "", o, nobody, tools)->exit_code, kRunWaiting);
  EXPECT_EQ(tools.Count("reset"), 0);
  o.approvals.insert("ok");
  auto done = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->exit_code, kRunCompleted);
  EXPECT_EQ(tools.Count("reset"), 1);
  casedb::PlaybookStore store(*db);
  auto steps = store.ListSteps(done->run_id);
  ASSERT_TRUE(steps.ok());
  bool gate_seen = false;
  for (const auto& s : *steps) {
    if (s.step_id != "ok") continue;
    gate_seen = true;
    EXPECT_EQ(s.state, "done");
    EXPECT_FALSE(s.approved_by.empty());
    EXPECT_EQ(s.approval_text, "--approve ok");
    ASSERT_EQ(s.unlocks.size(), 1u);
    EXPECT_NE(s.unlocks[0].get<std::string>().find("reset bob@example.test"), std::string::npos);
  }
  EXPECT_TRUE(gate_seen);
}

TEST_F(RunnerFixture, DryRunRunsNothing) {
  o.dry_run = true;
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->exit_code, kRunCompleted);
  EXPECT_TRUE(tools.calls.empty());
  casedb::PlaybookStore store(*db);
  auto steps = store.ListSteps(rep->run_id);
  ASSERT_TRUE(steps.ok());
  for (const auto& s : *steps)
    if (s.type == "run") {
      EXPECT_EQ(s.state, "skipped");
      EXPECT_FALSE(s.command.is_null());
    }
}

// A run whose process died while `change` ran: the step becomes unknown; verify decides.
void KillMidStep(casedb::CaseDb& db, const std::string& run_id) {
  casedb::PlaybookStore store(db);
  auto run = *store.GetRun(run_id);
  auto steps = *store.ListSteps(run_id);
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // a pid that is certainly gone
  run->status = "running";
  run->pid = child;
  run->ended_at.reset();
  ASSERT_TRUE(store.PutRun(*run).ok());
  for (auto& s : steps) {
    if (s.step_id == "change") {
      s.state = "running";
      s.ended_at.reset();
      ASSERT_TRUE(store.PutStep(s).ok());
    }
    if (s.step_id == "fin") {
      // The end was not reached yet.
      auto& st = s;
      st.state = "waiting";
    }
  }
}

TEST_F(RunnerFixture, InterruptedChangeIsVerifiedNotRepeated) {
  o.approvals.insert("ok");
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(tools.Count("reset"), 1);
  ASSERT_NO_FATAL_FAILURE(KillMidStep(*db, rep->run_id));
  {
    // Remove the end step's record so the run is mid-way again.
    ASSERT_TRUE(db->db().Exec("DELETE FROM playbook_steps WHERE step_id = 'fin'").ok());
  }
  tools.answers["case timeline"] = {0, R"([{"what":"reset_password"}])"};
  RunOptions resume = o;
  resume.approvals.clear();
  auto r2 = ResumeRun(*db, "", resume, nobody, tools);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->exit_code, kRunCompleted);
  EXPECT_EQ(tools.Count("reset"), 1) << "the change must not run twice";
  EXPECT_EQ(tools.Count("timeline"), 1);
  casedb::PlaybookStore store(*db);
  auto steps_1 = store.ListSteps(rep->run_id);
  ASSERT_TRUE(steps_1.ok());
  for (const auto& s : *steps_1)
    if (s.step_id == "change") {
      EXPECT_EQ(s.state, "done");
      EXPECT_NE(s.reason.find("verify confirmed"), std::string::npos) << s.reason;
    }
}

TEST_F(RunnerFixture, InterruptedChangeThatVerifyCannotConfirmAsksThePerson) {
  o.approvals.insert("ok");
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_TRUE(rep.ok());
  ASSERT_NO_FATAL_FAILURE(KillMidStep(*db, rep->run_id));
  ASSERT_TRUE(db->db().Exec("DELETE FROM playbook_steps WHERE step_id = 'fin'").ok());
  tools.answers["case timeline"] = {0, "[]"};  // nothing recorded since the step started
  auto r2 = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->exit_code, kRunWaiting);
  EXPECT_EQ(tools.Count("reset"), 1);
  casedb::PlaybookStore store(*db);
  auto steps_2 = store.ListSteps(rep->run_id);
  ASSERT_TRUE(steps_2.ok());
  for (const auto& s : *steps_2)
    if (s.step_id == "change") {
      EXPECT_EQ(s.state, "unknown");
    }
  o.answers["change"] = "retry";
  auto r3 = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->exit_code, kRunCompleted);
  EXPECT_EQ(tools.Count("reset"), 2);  // run again only because the person said so
}

TEST_F(RunnerFixture, ChangedRunbookIsRefusedUnlessAccepted) {
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_EQ(rep->exit_code, kRunWaiting);
  std::string changed = std::string(kGateRunbook) + "# a comment\n";
  o.current_text = changed;
  auto refused = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("changed"), std::string::npos);
  o.accept_changed = true;
  auto ok = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  casedb::PlaybookStore store(*db);
  auto run = *store.GetRun(rep->run_id);
  EXPECT_EQ(run->runbook_sha256, Sha256Hex(changed));
  ASSERT_FALSE(run->notes.empty());
  EXPECT_EQ(run->notes.back()["what"], "accepted changed runbook");
}

class Scripted final : public Interaction {
 public:
  explicit Scripted(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  void Show(const std::string& t) override { shown += t + "\n"; }
  std::optional<std::string> Ask(const std::string& prompt) override {
    shown += prompt + "\n";
    if (next_ >= lines_.size()) return std::nullopt;
    return lines_[next_++];
  }
  std::string shown;

 private:
  std::vector<std::string> lines_;
  size_t next_ = 0;
};

TEST_F(RunnerFixture, TypedConfirmationMustMatchExactly) {
  Scripted person({"reset bob", "yes", "reset bob@example.test"});
  auto rep = StartRun(*db, rb, o, person, tools);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->exit_code, kRunCompleted);
  EXPECT_EQ(tools.Count("reset"), 1);
  EXPECT_NE(person.shown.find("nothing was approved"), std::string::npos);
  casedb::PlaybookStore store(*db);
  auto steps_3 = store.ListSteps(rep->run_id);
  ASSERT_TRUE(steps_3.ok());
  for (const auto& s : *steps_3)
    if (s.step_id == "ok") {
      EXPECT_EQ(s.approval_text, "reset bob@example.test");
    }
}

TEST_F(RunnerFixture, DecliningAGateStopsTheRun) {
  Scripted person({"no"});
  auto rep = StartRun(*db, rb, o, person, tools);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->exit_code, kRunFailed);
  EXPECT_EQ(rep->outcome, "declined");
  EXPECT_EQ(tools.Count("reset"), 0);
}

TEST_F(RunnerFixture, RepeatWaitsUntilDueThenContinues) {
  const char* text = R"yaml(schema: mxir-runbook/1
id: test-repeat
version: 1
updated: 2026-12-06
title: t
summary: s
steps:
  - id: watch
    type: repeat
    every: 1d
    max: 3d
    until: "not ('listed' in st)"
    on_failure: {stop: still-listed}
    do:
      - {id: probe, type: run, run: [mxir, dnsbl, check, --format, json], mutates: false,
         outputs: {st: "$[*].status"}}
)yaml";
  auto r = LoadRunbook("test-repeat.yaml", text, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ManualClock clock(*ParseTimestamp("2026-12-07T09:00:00Z"));
  auto c = casedb::CaseDb::Create(dir + "/r.case", casedb::NewCase{"r", {}, {}, {}, "test"}, clock);
  ASSERT_TRUE(c.ok());
  o.inputs.clear();
  tools.answers["dnsbl check"] = {1, R"([{"status":"listed"}])"};
  auto r1 = StartRun(*c, *r, o, nobody, tools);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->exit_code, kRunWaitingTime);
  clock.Advance(12 * 3600 * kMicrosPerSecond);  // not due yet: nothing runs
  EXPECT_EQ(ResumeRun(*c, "", o, nobody, tools)->exit_code, kRunWaitingTime);
  EXPECT_EQ(tools.Count("check"), 1);
  clock.Advance(12 * 3600 * kMicrosPerSecond);  // due: round 2, still listed
  EXPECT_EQ(ResumeRun(*c, "", o, nobody, tools)->exit_code, kRunWaitingTime);
  EXPECT_EQ(tools.Count("check"), 2);
  tools.answers["dnsbl check"] = {0, R"([{"status":"not_listed"}])"};
  clock.Advance(24 * 3600 * kMicrosPerSecond);
  auto done = ResumeRun(*c, "", o, nobody, tools);
  EXPECT_EQ(done->exit_code, kRunCompleted);
  EXPECT_EQ(tools.Count("check"), 3);
  // Past max, it gives up with the runbook's outcome.
  tools.answers["dnsbl check"] = {1, R"([{"status":"listed"}])"};
  auto r2 = StartRun(*c, *r, o, nobody, tools);
  for (int day = 0; day < 5 && r2.ok() && r2->exit_code == kRunWaitingTime; ++day) {
    clock.Advance(24 * 3600 * kMicrosPerSecond);
    r2 = ResumeRun(*c, "", o, nobody, tools);
  }
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->exit_code, kRunFailed);
  EXPECT_EQ(r2->outcome, "still-listed");
}

TEST_F(RunnerFixture, ARunWhoseProcessIsAliveIsNotResumed) {
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_EQ(rep->exit_code, kRunWaiting);
  casedb::PlaybookStore store(*db);
  auto run = *store.GetRun(rep->run_id);
  run->status = "running";
  run->pid = ::getppid();  // alive: the process that started this test
  ASSERT_TRUE(store.PutRun(*run).ok());
  auto again = ResumeRun(*db, "", o, nobody, tools);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kBusy);
  auto other = StartRun(*db, rb, o, nobody, tools);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("one run per case at a time"), std::string::npos);
}

TEST_F(RunnerFixture, MissingRequiredInputIsAnInputError) {
  o.inputs.clear();
  auto rep = StartRun(*db, rb, o, nobody, tools);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.error().ExitStatus(), 2);
  EXPECT_NE(rep.error().message.find("--input account="), std::string::npos);
}

}  // namespace
}  // namespace mxir::playbook
