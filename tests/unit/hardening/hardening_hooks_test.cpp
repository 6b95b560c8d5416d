// lib/hooks under hostile input: a user's home (H3), Postfix's restriction order and bare logins
// (H4, P2), STARTTLS injection (M1), LDAP URI lists (M10), proxies (L9), provider JSON nulls.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/ini_file.h"
#include "hooks/dovecot_hook.h"
#include "hooks/hook_factory.h"
#include "hooks/http_client.h"
#include "hooks/m365_hook.h"
#include "hooks/postfix_containment.h"
#include "hooks/reset_runner.h"
#include "hooks/smtp_auth_check.h"

namespace mxir::hooks {
namespace {

// --- H3 ------------------------------------------------------------------------------------------

TEST(HardeningHooks, DovecotLeftoversNeverFollowLinksOrFifos) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  ::chmod(dir.c_str(), 0755);  // the home is read as its owner (uid 1000), not as root
  std::string home = dir + "/home";
  ASSERT_EQ(::mkdir(home.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((home + "/sieve").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/dev/zero", (home + "/.dovecot.sieve").c_str()), 0);
  ASSERT_EQ(::mkfifo((home + "/sieve/x.sieve").c_str(), 0600), 0);
  std::ofstream(home + "/sieve/fwd.sieve") << "redirect \"evil@attacker.example\";\n";
  ::chmod((home + "/sieve/fwd.sieve").c_str(), 0644);
  std::string users = dir + "/users";
  std::ofstream(users) << "bob@example.test:{PLAIN}old:1000:1000::" << home << "::\n";
  SystemCommandRunner runner;
  DovecotConfig c;
  c.passwd_file = users;
  DovecotHook hook(c, runner);
  auto start = std::chrono::steady_clock::now();
  auto l = hook.ListLeftovers("bob@example.test");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_TRUE(l.ok()) << l.error().message;
  int redirects = 0, unread = 0;
  for (const auto& x : *l) {
    redirects += x.kind == "sieve_redirect";
    unread += x.kind == "unread_file";
  }
  EXPECT_EQ(redirects, 1);
  EXPECT_EQ(unread, 2);  // the link and the FIFO are named, not read
}

// A provider whose steps after the password change misbehave.
class ThrowingHook : public ProviderHook {
 public:
  std::string name() const override { return "fake"; }
  unsigned capabilities() const override { return kSetPassword | kLeftovers | kVerify; }
  Status Preflight(const std::string&, std::vector<HookStep>&) override { return Status::Ok(); }
  Status ResetPassword(const std::string&, const std::string&, bool,
                       std::vector<HookStep>& steps) override {
    steps.push_back({"set_password", true, "set"});
    set = true;
    return Status::Ok();
  }
  Result<std::string> Verify(const std::string&, const std::string&) override {
    return std::string("ok");
  }
  Result<std::vector<Leftover>> ListLeftovers(const std::string&) override {
    throw std::bad_alloc();
  }
  bool set = false;
};

TEST(HardeningHooks, PasswordIsWrittenDownBeforeAnyLaterStep) {
  ThrowingHook hook;
  ResetOptions options;
  bool written = false;
  options.on_password_set = [&](const AccountOutcome& o) {
    EXPECT_TRUE(hook.set);
    EXPECT_EQ(o.outcome, "done");
    written = true;
    return Status::Ok();
  };
  AccountOutcome o = ResetAccount(hook, "bob", "pw", options);
  EXPECT_TRUE(written);
  EXPECT_EQ(o.outcome, "partial");  // a later step threw: reported, not a crash
  EXPECT_NE(o.error.find("list_leftovers"), std::string::npos) << o.error;
  // If writing it down fails, nothing later runs and the outcome says the password WAS set.
  ThrowingHook hook2;
  options.on_password_set = [](const AccountOutcome&) -> Status {
    return MakeError(ErrorCode::kIo, "disk full");
  };
  AccountOutcome o2 = ResetAccount(hook2, "bob", "pw", options);
  EXPECT_EQ(o2.outcome, "partial");
  EXPECT_NE(o2.error.find("password changed"), std::string::npos);
  EXPECT_FALSE(o2.verified);
}

// --- H4 / P2
// ---------------------------------------------------------------------------------------

constexpr char kRef[] = "hash:/etc/postfix/sasl_access";

TEST(HardeningHooks, SaslAccessMustComeBeforeAnyPermit) {
  std::map<std::string, std::string> main_cf = {{"smtpd_sasl_auth_enable", "yes"}};
  // The review's case: permit_sasl_authenticated first, the map never consulted.
  main_cf["smtpd_sender_restrictions"] =
      "permit_sasl_authenticated, check_sasl_access hash:/etc/postfix/sasl_access";
  auto r = CheckSaslAccessOrder(main_cf, {}, kRef);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("permit_sasl_authenticated"), std::string::npos);
  // Another map whose path starts with ours.
  main_cf["smtpd_sender_restrictions"] = "check_sasl_access hash:/etc/postfix/sasl_access_old";
  EXPECT_FALSE(CheckSaslAccessOrder(main_cf, {}, kRef).ok());
  // The map named only in a comment-like other restriction's argument.
  main_cf["smtpd_sender_restrictions"] = "check_sender_access hash:/etc/postfix/sasl_access";
  EXPECT_FALSE(CheckSaslAccessOrder(main_cf, {}, kRef).ok());
  // The safe recipe: first in the list, nothing after it that rejects everyone.
  main_cf["smtpd_sender_restrictions"] = "check_sasl_access hash:/etc/postfix/sasl_access";
  EXPECT_TRUE(CheckSaslAccessOrder(main_cf, {}, kRef).ok());
  // A submission listener overriding the lists in master.cf must consult the map too.
  auto services = ParseSmtpdServices(
      "smtp       inet  n       -       y       -       -       smtpd\n"
      "submission inet  n       -       y       -       -       smtpd -o x=y\n"
      "pickup     unix  n       -       y       60      1       pickup\n",
      "submission/inet/smtpd_sasl_auth_enable = yes\n"
      "submission/inet/smtpd_sender_restrictions = permit_sasl_authenticated, reject\n");
  ASSERT_EQ(services.size(), 2u);
  auto s = CheckSaslAccessOrder(main_cf, services, kRef);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("submission/inet"), std::string::npos) << s.error().message;
  services[1].overrides["smtpd_sender_restrictions"] =
      "check_sasl_access hash:/etc/postfix/sasl_access, permit_sasl_authenticated, reject";
  EXPECT_TRUE(CheckSaslAccessOrder(main_cf, services, kRef).ok());
}

TEST(HardeningHooks, BareLoginOwnsItsLocalAddress) {
  std::vector<std::string> local = {"acme.example", "mail.acme.example"};
  EXPECT_TRUE(QueuedFromAccount("info@acme.example", "info", local));
  EXPECT_TRUE(QueuedFromAccount("INFO@Acme.Example", "info", local));
  EXPECT_FALSE(QueuedFromAccount("info@other.example", "info", local));
  EXPECT_FALSE(QueuedFromAccount("info2@acme.example", "info", local));
  EXPECT_TRUE(QueuedFromAccount("bob@acme.example", "bob@acme.example", local));
  EXPECT_FALSE(QueuedFromAccount("bob@evil.example", "bob@acme.example", local));
}

// Postfix's tools as the review's fake pf/bin: a scripted runner.
class ScriptedPostfix : public CommandRunner {
 public:
  std::vector<std::vector<std::string>> seen;
  std::function<CommandResult(const std::vector<std::string>&)> answer;
  Result<CommandResult> Run(const CommandSpec& spec) override {
    seen.push_back(spec.argv);
    return answer(spec.argv);
  }
};

TEST(HardeningHooks, ContainmentHoldsBareLoginMailAndForgedSenders) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string map = dir + "/sasl_access";
  std::string ref = "hash:" + map;
  bool blocked = false;
  ScriptedPostfix runner;
  runner.answer = [&](const std::vector<std::string>& a) {
    CommandResult r;
    r.exit_status = 0;
    std::string tool = a[0].substr(a[0].rfind('/') + 1);
    auto has = [&](const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); };
    if (tool == "postconf" && has("-M")) {
      r.output = "smtp inet n - y - - smtpd\n";
    } else if (tool == "postconf" && has("-P")) {
      r.output = "";
    } else if (tool == "postconf") {
      r.output =
          "smtpd_sasl_auth_enable = yes\nmydestination = acme.example, localhost\n"
          "smtpd_sender_restrictions = check_sasl_access " +
          ref + "\n";
    } else if (tool == "postmap" && has("-q")) {
      blocked = FileExists(map) && ReadFile(map)->find("info REJECT") != std::string::npos;
      r.exit_status = blocked ? 0 : 1;
      r.output = blocked ? "REJECT 5.7.1 suspended\n" : "";
    } else if (tool == "postqueue") {
      r.output = R"({"queue_name":"deferred","queue_id":"AAA111","sender":"info@acme.example"})"
                 "\n"
                 R"({"queue_name":"deferred","queue_id":"BBB222","sender":"ceo@bank.example"})"
                 "\n"
                 R"({"queue_name":"deferred","queue_id":"CCC333","sender":"carol@acme.example"})"
                 "\n"
                 R"({"queue_name":null,"queue_id":null,"sender":null})"
                 "\n";
    } else if (tool == "postcat") {
      std::string id = a.back();
      r.output = "*** ENVELOPE RECORDS deferred/" + id + " ***\nsender: x\n" +
                 std::string("named_attribute: sasl_username=") +
                 (id == "BBB222" ? "info" : "carol") + "\n";
    }
    return r;
  };
  PostfixConfig c;
  c.config_dir = dir;
  c.access_map = map;
  std::vector<SubmissionProbe> probes;
  PostfixContainment hook(c, runner, [&](const SmtpAuthTarget& t, const SubmissionProbe& p) {
    probes.push_back(p);
    EXPECT_EQ(t.host, "127.0.0.1");
    EXPECT_EQ(t.port, 25);
    SubmissionProbeOutcome out;
    out.result = blocked ? SubmissionProbeOutcome::Result::kRefused
                         : SubmissionProbeOutcome::Result::kAccepted;
    out.reply_code = blocked ? 554 : 250;
    out.reply_text = blocked ? "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: "
                               "account suspended during incident response"
                             : "250 2.1.5 Ok";
    out.stage = "RCPT";
    return Result<SubmissionProbeOutcome>(out);
  });
  AccountOutcome o = ContainAccount(hook, "info", ContainmentAction::kSuspend, false);
  EXPECT_EQ(o.outcome, "done") << o.error;
  EXPECT_TRUE(o.verified) << o.verification;
  EXPECT_TRUE(blocked);
  // The project's scenario: login info submits as info@acme.example.
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].login, "info");
  EXPECT_EQ(probes[0].sender, "info@acme.example");
  EXPECT_EQ(probes[0].recipient, "info@acme.example");
  std::string held;
  for (const auto& a : runner.seen) {
    if (a[0].find("postsuper") != std::string::npos) held = "yes";
  }
  EXPECT_EQ(held, "yes");
  bool found = false;
  for (const auto& s : o.steps) {
    if (s.step == "hold_queued_mail") {
      found = true;
      EXPECT_NE(s.detail.find("2 message(s)"), std::string::npos) << s.detail;
    }
  }
  EXPECT_TRUE(found);
}

// H4: containment is "done" only after a real submission as the login was refused. A scripted
// Postfix whose AUTH listeners are given; the probe's answer decides the outcome.
AccountOutcome ContainWithProbe(
    const std::string& master_cf, const std::string& overrides,
    std::function<Result<SubmissionProbeOutcome>(const SmtpAuthTarget&, const SubmissionProbe&)>
        probe,
    int* probes_made, bool dry_run = false, std::vector<std::string>* tools_run = nullptr) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string map = dir + "/sasl_access";
  ScriptedPostfix runner;
  runner.answer = [&](const std::vector<std::string>& a) {
    CommandResult r;
    r.exit_status = 0;
    std::string tool = a[0].substr(a[0].rfind('/') + 1);
    auto has = [&](const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); };
    if (tool == "postconf" && has("-M")) {
      r.output = master_cf;
    } else if (tool == "postconf" && has("-P")) {
      r.output = overrides;
    } else if (tool == "postconf") {
      r.output =
          "smtpd_sasl_auth_enable = yes\nmydestination = acme.example\n"
          "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /nonexistent.pem\n"
          "smtpd_sender_restrictions = check_sasl_access hash:" +
          map + "\n";
    } else if (tool == "postmap" && has("-q")) {
      r.output = "REJECT 5.7.1 account suspended during incident response\n";
    } else if (tool == "postqueue") {
      r.output = "";
    }
    return r;
  };
  PostfixConfig c;
  c.config_dir = dir;
  c.access_map = map;
  *probes_made = 0;
  PostfixContainment hook(c, runner, [&](const SmtpAuthTarget& t, const SubmissionProbe& p) {
    ++*probes_made;
    return probe(t, p);
  });
  AccountOutcome o = ContainAccount(hook, "info", ContainmentAction::kSuspend, dry_run);
  if (tools_run != nullptr) {
    for (const auto& a : runner.seen) tools_run->push_back(a[0].substr(a[0].rfind('/') + 1));
  }
  return o;
}

Result<SubmissionProbeOutcome> Answer(SubmissionProbeOutcome::Result r, std::string text) {
  SubmissionProbeOutcome out;
  out.result = r;
  out.reply_text = std::move(text);
  out.reply_code = std::atoi(out.reply_text.c_str());
  out.stage = "RCPT";
  return out;
}

TEST(HardeningHooks, ContainmentAcceptedByAListenerIsFailed) {
  int n = 0;
  AccountOutcome o = ContainWithProbe(
      "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n", "",
      [](const SmtpAuthTarget& t, const SubmissionProbe&) {
        // smtp refuses; submission (587) still takes the login's mail.
        return t.port == 587 ? Answer(SubmissionProbeOutcome::Result::kAccepted, "250 2.1.5 Ok")
                             : Answer(SubmissionProbeOutcome::Result::kRefused,
                                      "554 5.7.1 <x>: Client host rejected: account suspended "
                                      "during incident response");
      },
      &n);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(o.outcome, "failed");
  EXPECT_FALSE(o.verified);
  EXPECT_NE(o.verification.find("still accepts mail from login info on submission/inet"),
            std::string::npos)
      << o.verification;
  EXPECT_EQ(o.verification.find("smtp/inet"), std::string::npos) << o.verification;
  EXPECT_NE(o.error.find("still accepts mail from login info"), std::string::npos) << o.error;
  EXPECT_EQ(o.exit_status, 3);
}

TEST(HardeningHooks, ContainmentThatCannotBeTriedIsNotDone) {
  int n = 0;
  // No XCLIENT for mxir on smtp; submission is a postscreen "pass" service nobody can reach.
  AccountOutcome o = ContainWithProbe(
      "smtp inet n - y - - smtpd\nsmtpd pass - - y - - smtpd\n", "",
      [](const SmtpAuthTarget&, const SubmissionProbe&) {
        return Answer(SubmissionProbeOutcome::Result::kNoXclient,
                      "the server does not offer XCLIENT LOGIN to this client");
      },
      &n);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(o.outcome, "unverified");
  EXPECT_FALSE(o.verified);
  EXPECT_EQ(o.exit_status, 1);
  EXPECT_NE(o.verification.find("smtpd/pass"), std::string::npos) << o.verification;
  EXPECT_NE(o.verification.find("swaks --server 127.0.0.1 --port 25 --tls --auth-user info "
                                "--from info@acme.example --to info@acme.example "
                                "--quit-after RCPT"),
            std::string::npos)
      << o.verification;
  // Refused for another reason (a recipient check) proves nothing about the block either.
  o = ContainWithProbe(
      "smtp inet n - y - - smtpd\n", "",
      [](const SmtpAuthTarget&, const SubmissionProbe&) {
        return Answer(SubmissionProbeOutcome::Result::kRefused,
                      "550 5.1.1 <info@acme.example>: Recipient address rejected");
      },
      &n);
  EXPECT_EQ(o.outcome, "unverified");
  EXPECT_NE(o.verification.find("not by the block"), std::string::npos) << o.verification;
  // A connection that fails is not a refusal.
  o = ContainWithProbe(
      "smtp inet n - y - - smtpd\n", "",
      [](const SmtpAuthTarget&, const SubmissionProbe&) -> Result<SubmissionProbeOutcome> {
        return MakeError(ErrorCode::kUnavailable, "cannot connect to 127.0.0.1:25");
      },
      &n);
  EXPECT_EQ(o.outcome, "unverified");
}

TEST(HardeningHooks, DryRunSaysWhetherContainmentCanBeVerified) {
  int n = 0;
  std::vector<std::string> tools;
  AccountOutcome o = ContainWithProbe(
      "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n", "",
      [](const SmtpAuthTarget& t, const SubmissionProbe& p) {
        EXPECT_TRUE(p.xclient_only);  // a dry run never sends MAIL
        return Answer(t.port == 25 ? SubmissionProbeOutcome::Result::kXclientOffered
                                   : SubmissionProbeOutcome::Result::kNoXclient,
                      "250 x");
      },
      &n, /*dry_run=*/true, &tools);
  EXPECT_EQ(o.outcome, "dry_run");
  EXPECT_EQ(n, 2);
  int ok = 0, not_ok = 0;
  for (const auto& s : o.steps) {
    if (s.step != "plan_verify") continue;
    (s.ok ? ok : not_ok)++;
    if (!s.ok) {
      EXPECT_NE(s.detail.find("submission/inet"), std::string::npos) << s.detail;
      EXPECT_NE(s.detail.find("unverified"), std::string::npos) << s.detail;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(not_ok, 1);
  for (const auto& t : tools) {
    EXPECT_TRUE(t == "postconf") << "a dry run ran " << t;
  }
}

TEST(HardeningHooks, ProbeEndpointsFollowMasterCf) {
  std::map<std::string, std::string> main_cf = {{"smtpd_sasl_auth_enable", "no"},
                                                {"smtpd_tls_security_level", "may"},
                                                {"smtpd_tls_cert_file", "/etc/cert.pem"}};
  auto services = ParseSmtpdServices(
      "smtp inet n - y - - smtpd\n127.0.0.1:2525 inet n - n - - smtpd\n"
      "[::1]:2587 inet n - n - - smtpd\nsubmission inet n - y - - smtpd\n"
      "nosuch-svc inet n - y - - smtpd\n",
      "127.0.0.1:2525/inet/smtpd_sasl_auth_enable = yes\n"
      "[::1]:2587/inet/smtpd_sasl_auth_enable = yes\n"
      "[::1]:2587/inet/smtpd_tls_security_level = none\n"
      "submission/inet/smtpd_sasl_auth_enable = yes\n"
      "nosuch-svc/inet/smtpd_sasl_auth_enable = yes\n");
  auto e = ProbeEndpoints(main_cf, services);
  ASSERT_EQ(e.size(), 4u);  // smtp has no AUTH: not a way in for a login
  EXPECT_EQ(e[0].host, "127.0.0.1");
  EXPECT_EQ(e[0].port, 2525);
  EXPECT_TRUE(e[0].tls);
  EXPECT_EQ(e[0].cert_file, "/etc/cert.pem");
  EXPECT_EQ(e[1].host, "::1");
  EXPECT_EQ(e[1].port, 2587);
  EXPECT_FALSE(e[1].tls);
  EXPECT_EQ(e[2].service, "submission/inet");
  EXPECT_EQ(e[2].host, "127.0.0.1");
  EXPECT_EQ(e[2].port, 587);  // /etc/services
  EXPECT_NE(e[3].why_not, "");
  EXPECT_EQ(ProbeEndpoints(main_cf, {}).at(0).service, "main.cf");
  EXPECT_NE(ProbeEndpoints(main_cf, {}).at(0).why_not, "");
}

TEST(HardeningHooks, XclientValuesAreXtext) {
  EXPECT_EQ(XtextEncode("info"), "info");
  EXPECT_EQ(XtextEncode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(XtextEncode("x\r\nMAIL"), "x+0D+0AMAIL");
  auto [s, r] = ProbeAddresses("bob@example.test", {"acme.example"});
  EXPECT_EQ(s, "bob@example.test");
  EXPECT_EQ(r, "bob@example.test");
  std::tie(s, r) = ProbeAddresses("info", {});
  EXPECT_EQ(s, "");
  EXPECT_EQ(r, "postmaster");
}

TEST(HardeningHooks, ContainmentIsNotDoneWhenPostfixIgnoresTheMap) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  ScriptedPostfix runner;
  runner.answer = [&](const std::vector<std::string>& a) {
    CommandResult r;
    r.exit_status = 0;
    if (a[0].find("postconf") != std::string::npos && a.size() > 3 && a[3] == "-x") {
      r.output =
          "smtpd_sasl_auth_enable = yes\nsmtpd_sender_restrictions = "
          "permit_sasl_authenticated, check_sasl_access hash:" +
          dir + "/sasl_access\n";
    }
    return r;
  };
  PostfixConfig c;
  c.config_dir = dir;
  c.access_map = dir + "/sasl_access";
  PostfixContainment hook(c, runner);
  AccountOutcome o = ContainAccount(hook, "info", ContainmentAction::kSuspend, false);
  EXPECT_EQ(o.outcome, "failed");
  EXPECT_FALSE(FileExists(dir + "/sasl_access"));
}

// --- M1
// --------------------------------------------------------------------------------------------

TEST(HardeningHooks, StarttlsReplyWithTrailingPlaintextIsRefused) {
  int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(ls, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  std::thread server([ls] {
    int c = ::accept(ls, nullptr, nullptr);
    auto say = [c](const char* s) { (void)!::write(c, s, strlen(s)); };
    auto line = [c] {
      char ch;
      while (::read(c, &ch, 1) == 1 && ch != '\n') {
      }
    };
    say("220 mail.test ESMTP\r\n");
    line();
    say("250-mail.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n");
    line();
    say("220 2.0.0 go ahead\r\n250-mail.test\r\n250 AUTH PLAIN\r\n235 2.7.0 INJECTED accepted\r\n");
    char buf[512];
    (void)!::read(c, buf, sizeof buf);  // whatever the client does next (or its close)
    ::close(c);
  });
  SmtpAuthTarget t;
  t.host = "127.0.0.1";
  t.port = ntohs(a.sin_port);
  t.timeout = std::chrono::seconds(5);
  auto r = SmtpAuthCheck(t, "bob@example.test", "pw");
  server.join();
  ::close(ls);
  ASSERT_FALSE(r.ok()) << "accepted an injected reply: " << r->reply_text;
  EXPECT_NE(r.error().message.find("after its reply to STARTTLS"), std::string::npos)
      << r.error().message;
}

// --- M10
// -------------------------------------------------------------------------------------------

TEST(HardeningHooks, LdapClearTextGuardChecksEveryUriAndOnlyLiteralLoopback) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string secret = dir + "/s";
  std::ofstream(secret) << "pw\n";
  ::chmod(secret.c_str(), 0600);
  auto hook_for = [&](const std::string& uri) {
    auto ini = IniFile::Parse("[ldap]\nuri = " + uri +
                                  "\nbind_dn = cn=admin\nuser_dn_template = uid=%s,dc=x\n"
                                  "secret_file = " +
                                  secret + "\n",
                              "hooks.ini");
    return MakeProviderHook(*ini, "ldap", DefaultClock());
  };
  EXPECT_TRUE(hook_for("ldap://127.0.0.1:389").ok());
  EXPECT_TRUE(hook_for("ldap://[::1]:389").ok());
  EXPECT_TRUE(hook_for("ldaps://ldap.example.com ldaps://ldap2.example.com").ok());
  for (const char* bad :
       {"ldap://127.0.0.1:1 ldap://192.0.2.2:3890", "ldap://127.evil.example",
        "ldap://localhost.evil.example", "ldaps://a.example,ldap://192.0.2.2", "ldap:///"}) {
    auto h = hook_for(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_NE(h.error().message.find("clear text"), std::string::npos) << h.error().message;
  }
}

// --- L9
// --------------------------------------------------------------------------------------------

TEST(HardeningHooks, HttpsIgnoresProxyVariables) {
  int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(ls, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  std::string proxy = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  for (const char* v : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
    ::setenv(v, proxy.c_str(), 1);
  }
  HttpOptions o;
  o.connect_timeout = std::chrono::milliseconds(1500);
  o.timeout = std::chrono::milliseconds(2000);
  auto http = MakeCurlHttpClient(o);
  HttpRequest req;
  req.url = "https://hooks.example.test:443/x";  // .test never resolves
  auto r = http->Send(req);
  for (const char* v : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) ::unsetenv(v);
  EXPECT_FALSE(r.ok());
  int c = ::accept(ls, nullptr, nullptr);
  EXPECT_LT(c, 0) << "the request went to the proxy from the environment";
  if (c >= 0) ::close(c);
  ::close(ls);
}

// --- suspicion 5: provider JSON nulls after the password was set ---------------------------------

class CannedHttp : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    HttpResponse r;
    r.status = 200;
    if (request.url.find("/token") != std::string::npos) {
      r.body = R"({"token_type":"Bearer","access_token":"t"})";
    } else {
      r.body =
          R"({"value":[{"displayName":null,"actions":{"delete":null,"forwardTo":[{"emailAddress":{"address":null}},7]}}]})";
    }
    return r;
  }
};

TEST(HardeningHooks, ProviderJsonNullsDoNotThrow) {
  CannedHttp http;
  M365Config c;
  c.tenant = "t";
  c.client_id = "c";
  c.client_secret = "s";
  M365Hook hook(c, http, DefaultClock());
  Result<std::vector<Leftover>> l = std::vector<Leftover>{};
  EXPECT_NO_THROW(l = hook.ListLeftovers("bob@contoso.example"));
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);  // both forwardTo entries, their addresses unknown ("?")
  EXPECT_NE((*l)[0].description.find("(unnamed)"), std::string::npos);
}

}  // namespace
}  // namespace mxir::hooks
