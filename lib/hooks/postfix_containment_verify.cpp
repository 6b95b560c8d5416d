// PostfixContainment's verification half: which listeners offer AUTH (ProbeEndpoints), and a
// real submission as the blocked login on each (XCLIENT LOGIN, MAIL, RCPT, never DATA) to show
// the block holds — or the swaks command to check by hand where mxir cannot try.
#include <algorithm>

#include <netdb.h>
#include <netinet/in.h>

#include "core/ascii.h"
#include "core/file_util.h"
#include "hooks/postfix_containment.h"
#include "hooks/step_text.h"

namespace mxir::hooks {

namespace {

// The reply text of the block without its leading enhanced status code, lower case: what a
// refusal by the map must contain ("account suspended during incident response").
std::string RejectCore(const std::string& reject_text) {
  std::string t = reject_text;
  size_t sp = t.find(' ');
  if (sp != std::string::npos && sp >= 5 && std::isdigit(static_cast<unsigned char>(t[0])) &&
      t[1] == '.') {
    t = t.substr(sp + 1);
  }
  return AsciiLower(t);
}

std::string HostPort(const std::string& host, uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// "submission/inet (127.0.0.1:587)"; a service named by its address needs no second one.
std::string Where(const ProbeEndpoint& e) {
  std::string where = e.service;
  if (e.port != 0 && e.service.rfind(HostPort(e.host, e.port) + "/", 0) != 0) {
    where += " (" + HostPort(e.host, e.port) + ")";
  }
  return where;
}

// Where to connect for a probe: the listener, its own certificate pinned when it offers TLS.
SmtpAuthTarget TargetFor(const ProbeEndpoint& e) {
  SmtpAuthTarget t;
  t.host = e.host;
  t.port = e.port;
  t.timeout = std::chrono::seconds(20);
  if (e.tls && FileExists(e.cert_file)) {
    t.ca_file = e.cert_file;
    t.pinned_cert = true;
  }
  return t;
}

}  // namespace

std::vector<ProbeEndpoint> ProbeEndpoints(const std::map<std::string, std::string>& main_cf,
                                          const std::vector<SmtpdService>& services) {
  std::vector<ProbeEndpoint> out;
  if (services.empty()) {
    ProbeEndpoint e;
    e.service = "main.cf";
    e.why_not = "postconf -M listed no smtpd listener, so mxir does not know where to connect";
    out.push_back(e);
    return out;
  }
  for (const auto& svc : services) {
    auto value = [&](const std::string& name) { return svc.Setting(main_cf, name); };
    if (AsciiLower(value("smtpd_sasl_auth_enable")) != "yes") continue;
    ProbeEndpoint e;
    e.service = svc.name;
    e.cert_file = value("smtpd_tls_cert_file");
    if (e.cert_file.empty()) {
      auto chain = RestrictionTokens(value("smtpd_tls_chain_files"));
      if (!chain.empty()) e.cert_file = chain.front();
    }
    std::string level = AsciiLower(value("smtpd_tls_security_level"));
    if (level.empty()) {
      level = AsciiLower(value("smtpd_enforce_tls")) == "yes" ? "encrypt"
              : AsciiLower(value("smtpd_use_tls")) == "yes"   ? "may"
                                                              : "none";
    }
    e.tls = (level == "may" || level == "encrypt") && !e.cert_file.empty();
    size_t slash = svc.name.rfind('/');
    std::string type = slash == std::string::npos ? "" : svc.name.substr(slash + 1);
    std::string base = svc.name.substr(0, slash);
    if (type != "inet") {
      e.why_not = "a '" + type + "' service (" +
                  (type == "pass" ? "behind postscreen" : "not a TCP listener") +
                  "): mxir cannot connect to it directly";
      out.push_back(e);
      continue;
    }
    std::string host, port;
    if (!base.empty() && base[0] == '[') {
      size_t close = base.find(']');
      host = base.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      port = close == std::string::npos || close + 2 > base.size() ? "" : base.substr(close + 2);
    } else if (size_t colon = base.rfind(':'); colon != std::string::npos) {
      host = base.substr(0, colon);
      port = base.substr(colon + 1);
    } else {
      port = base;
    }
    // A listener on every address is reached on loopback.
    if (host.empty() || host == "*" || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    int p = 0;
    bool digits = !port.empty() && port.size() <= 5 &&
                  std::all_of(port.begin(), port.end(),
                              [](unsigned char ch) { return std::isdigit(ch) != 0; });
    if (digits) {
      p = std::stoi(port);
    } else if (!port.empty()) {
      servent* se = ::getservbyname(port.c_str(), "tcp");  // "submission" -> 587
      if (se != nullptr) p = ntohs(static_cast<uint16_t>(se->s_port));
    }
    if (p < 1 || p > 65535) {
      e.why_not = "cannot tell which TCP port '" + base + "' is";
    } else {
      e.host = host;
      e.port = static_cast<uint16_t>(p);
    }
    out.push_back(e);
  }
  return out;
}

std::pair<std::string, std::string> ProbeAddresses(const std::string& login,
                                                   const std::vector<std::string>& local_domains) {
  size_t at = login.rfind('@');
  std::string domain = at != std::string::npos ? login.substr(at + 1)
                       : local_domains.empty() ? ""
                                               : local_domains.front();
  std::string sender = at != std::string::npos ? login : domain.empty() ? "" : login + "@" + domain;
  // To itself: an address the server surely knows (local, or relayed for a logged-in client).
  std::string recipient = sender.empty() ? "postmaster" : sender;
  return {sender, recipient};
}

void PostfixContainment::PlanVerifyContained(const std::string& account,
                                             std::vector<HookStep>& steps) {
  for (const auto& e : endpoints_) {
    const std::string where = Where(e);
    const std::string later = ": contain will say 'unverified' and how to check by hand";
    if (!e.why_not.empty()) {
      steps.push_back(
          {"plan_verify", false, where + ": cannot try a submission: " + e.why_not + later});
      continue;
    }
    const SmtpAuthTarget t = TargetFor(e);
    SubmissionProbe p;
    p.login = account;
    p.recipient = "postmaster";
    p.xclient_only = true;
    auto r = prober_(t, p);
    if (!r.ok()) {
      steps.push_back({"plan_verify", false, where + ": " + r.error().message + later});
    } else if (r->result == SubmissionProbeOutcome::Result::kXclientOffered) {
      steps.push_back({"plan_verify", true,
                       where + ": XCLIENT LOGIN offered: contain will try a submission as " +
                           account + " there (MAIL and RCPT, no DATA)"});
    } else {
      steps.push_back({"plan_verify", false,
                       where +
                           ": Postfix does not let mxir use XCLIENT here (only the hosts in "
                           "smtpd_authorized_xclient_hosts may)" +
                           later});
    }
  }
}

ContainmentCheck PostfixContainment::VerifyContained(const std::string& account,
                                                     std::vector<HookStep>& steps) {
  // Plain variables, not a structured binding: the lambdas below capture them (clang < 16
  // cannot capture a binding).
  const std::pair<std::string, std::string> addresses = ProbeAddresses(account, local_domains_);
  const std::string& sender = addresses.first;
  const std::string& recipient = addresses.second;
  const std::string core = RejectCore(config_.reject_text);
  std::vector<std::string> refused, accepted, not_tried, by_hand;
  for (const auto& e : endpoints_) {
    const std::string where = Where(e);
    auto hand = [&] {
      if (e.port == 0) return;
      by_hand.push_back("swaks --server " + e.host + " --port " + std::to_string(e.port) +
                        (e.tls ? " --tls" : "") + " --auth-user " + account + " --from " +
                        (sender.empty() ? "''" : sender) + " --to " + recipient +
                        " --quit-after RCPT");
    };
    auto not_verified = [&](const std::string& why) {
      not_tried.push_back(where + ": " + why);
      steps.push_back({"verify_refused", false, where + ": not verified: " + why});
      hand();
    };
    if (!e.why_not.empty()) {
      not_verified(e.why_not);
      continue;
    }
    const SmtpAuthTarget t = TargetFor(e);
    auto r = prober_(t, {account, sender, recipient});
    if (!r.ok()) {
      not_verified(r.error().message);
      continue;
    }
    std::string reply = OneLine(r->reply_text);
    using R = SubmissionProbeOutcome::Result;
    if (r->result == R::kRefused && AsciiLower(reply).find(core) != std::string::npos) {
      refused.push_back(where + ": " + r->stage + " answered " + reply);
      steps.push_back({"verify_refused", true,
                       where + ": a submission as " + account + " (XCLIENT LOGIN) was refused: " +
                           reply + (r->tls ? " [STARTTLS]" : "")});
    } else if (r->result == R::kRefused) {
      not_verified("refused, but not by the block (" + r->stage + " answered " + reply +
                   "): fix that, or check by hand");
    } else if (r->result == R::kAccepted) {
      accepted.push_back(where + ": RCPT answered " + reply);
      steps.push_back({"verify_refused", false,
                       where + ": a submission as " + account + " (XCLIENT LOGIN) was ACCEPTED: " +
                           reply + " (ended with RSET before DATA: nothing was queued)"});
    } else {
      not_verified("Postfix does not let mxir use XCLIENT here: " + reply +
                   " (only the hosts in smtpd_authorized_xclient_hosts may)");
    }
  }
  ContainmentCheck out;
  auto join = [](const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
  };
  std::vector<std::string> names;
  if (!accepted.empty()) {
    out.state = ContainmentCheck::State::kFailed;
    out.evidence = "Postfix still accepts mail from login " + account + " on " +
                   join(accepted, "; ") +
                   ": the block is in the map but does not stop it there (a restriction before "
                   "check_sasl_access that permits this client, e.g. a check_client_access OK, or "
                   "a map Postfix has not reloaded)";
    out.summary = "Postfix still accepts mail from login " + account + " (see verify: above)";
  } else if (!not_tried.empty()) {
    out.state = ContainmentCheck::State::kUnverified;
    out.evidence = "not verified on " + join(not_tried, "; ") +
                   (refused.empty() ? "" : " (refused on " + join(refused, "; ") + ")") +
                   ". Check by hand with the account's password (after a reset: the new one): " +
                   join(by_hand, "  and  ") + "  must end in a 5xx reply saying '" + core +
                   "'. Or let mxir try it: smtpd_authorized_xclient_hosts = 127.0.0.1 on each "
                   "AUTH listener (every local user can then submit as any login there; see "
                   "docs/mxir-reset.md), then run contain again";
    out.summary = "the block is in place but NOT verified: check it by hand (see verify: above)";
  } else {
    out.state = ContainmentCheck::State::kVerified;
    out.evidence = "Postfix refused a submission as " + account + " (MAIL FROM:<" + sender +
                   "> RCPT TO:<" + recipient + ">) on " + join(refused, "; ");
  }
  return out;
}

}  // namespace mxir::hooks
