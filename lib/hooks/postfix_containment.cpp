#include "hooks/postfix_containment.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/file_util.h"
#include "hooks/scrub.h"
#include "hooks/step_text.h"

namespace mxir::hooks {

std::string EditAccessMap(const std::string& text, const std::string& account, bool blocked,
                          const std::string& reject_text, bool* changed) {
  std::string out;
  bool present = false;
  *changed = false;
  size_t pos = 0;
  const std::string key = AsciiLower(account);
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t end = eol == std::string::npos ? text.size() : eol + 1;
    std::string line = text.substr(pos, end - pos);
    pos = end;
    size_t ws = line.find_first_of(" \t\r\n");
    std::string first = AsciiLower(line.substr(0, ws));
    if (!line.empty() && line[0] != '#' && first == key) {
      present = true;
      if (!blocked) {
        *changed = true;
        continue;  // drop it
      }
    }
    out += line;
  }
  if (blocked && !present) {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out += account + " REJECT " + reject_text + "\n";
    *changed = true;
  }
  return out;
}

std::map<std::string, std::string> ParsePostconf(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    size_t eq = line.find(" = ");
    size_t name_end = eq;
    if (eq == std::string_view::npos) {
      // "name =" with an empty value
      if (line.size() >= 2 && line.substr(line.size() - 2) == " =") {
        name_end = line.size() - 2;
      } else {
        continue;
      }
    }
    std::string name(line.substr(0, name_end));
    std::string value(eq == std::string_view::npos ? "" : line.substr(eq + 3));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    out[name] = value;
  }
  return out;
}

std::vector<std::string> RestrictionTokens(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : value) {
    if (c == ',' || c == ' ' || c == '\t' || c == '{' || c == '}') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string SmtpdService::Setting(const std::map<std::string, std::string>& main_cf,
                                  const std::string& name) const {
  auto o = overrides.find(name);
  if (o != overrides.end()) return o->second;
  auto m = main_cf.find(name);
  return m == main_cf.end() ? std::string() : m->second;
}

std::vector<SmtpdService> ParseSmtpdServices(std::string_view postconf_m,
                                             std::string_view postconf_p) {
  std::vector<SmtpdService> out;
  size_t pos = 0;
  while (pos < postconf_m.size()) {
    size_t eol = postconf_m.find('\n', pos);
    std::string_view line =
        postconf_m.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? postconf_m.size() : eol + 1;
    std::vector<std::string> f = RestrictionTokens(line);
    // name type private unpriv chroot wakeup maxproc command [args]
    if (f.size() < 8 || f[0].empty() || f[0][0] == '#') continue;
    if (f[7] != "smtpd" || (f[1] != "inet" && f[1] != "unix" && f[1] != "pass")) continue;
    out.push_back({f[0] + "/" + f[1], {}});
  }
  for (const auto& [key, value] : ParsePostconf(postconf_p)) {
    size_t a = key.find('/');
    size_t b = a == std::string::npos ? std::string::npos : key.find('/', a + 1);
    if (b == std::string::npos) continue;
    std::string service = key.substr(0, b);
    for (auto& s : out) {
      if (s.name == service) s.overrides[key.substr(b + 1)] = value;
    }
  }
  return out;
}

namespace {

constexpr const char* kRestrictionLists[] = {
    "smtpd_client_restrictions",     "smtpd_helo_restrictions",      "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",      "smtpd_recipient_restrictions", "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions"};

// Where in one restriction list the map is consulted: "" when it is consulted before anything
// that could permit the client (Postfix evaluates each list left to right and stops at the
// first OK or permit_*), else why it does not count.
std::string MapUseInList(const std::string& value, const std::string& ref, bool* uses) {
  std::vector<std::string> t = RestrictionTokens(value);
  std::string permit_before;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == "check_sasl_access" && i + 1 < t.size()) {
      if (t[i + 1] == ref) {
        *uses = permit_before.empty();
        return permit_before.empty() ? "" : "after " + permit_before;
      }
      ++i;  // another map
      continue;
    }
    if (permit_before.empty() && (t[i] == "permit" || t[i].rfind("permit_", 0) == 0)) {
      permit_before = t[i];
    }
  }
  *uses = false;
  return "";
}

}  // namespace

Result<std::string> CheckSaslAccessOrder(const std::map<std::string, std::string>& main_cf,
                                         std::vector<SmtpdService> services,
                                         const std::string& ref) {
  if (services.empty()) services.push_back({"main.cf", {}});
  std::vector<std::string> checked, problems;
  for (const auto& svc : services) {
    auto value = [&](const std::string& name) { return svc.Setting(main_cf, name); };
    // A listener without SASL AUTH cannot be used by a login: nothing to check there.
    std::string auth = value("smtpd_sasl_auth_enable");
    for (char& c : auth) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (svc.name != "main.cf" && auth != "yes") continue;
    bool ok = false;
    std::string why;
    for (const char* list : kRestrictionLists) {
      bool uses = false;
      std::string note = MapUseInList(value(list), ref, &uses);
      if (uses) {
        ok = true;
        break;
      }
      if (!note.empty() && why.empty()) why = std::string(list) + " consults it only " + note;
    }
    if (ok) {
      checked.push_back(svc.name);
    } else {
      problems.push_back(svc.name + ": " +
                         (why.empty() ? "no restriction list consults check_sasl_access " + ref
                                      : why + ", which permits authenticated clients first"));
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return MakeError(ErrorCode::kUsage,
                     "Postfix would not refuse a blocked login (" + all +
                         "): put 'check_sasl_access " + ref +
                         "' FIRST in smtpd_sender_restrictions (and in the -o overrides of every "
                         "AUTH listener in master.cf), keep the rest of the list after it, and "
                         "reload (see docs/mxir-reset.md)");
  }
  if (checked.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "no smtpd listener in this Postfix has SASL AUTH enabled: there is no login "
                     "to block here");
  }
  std::string names;
  for (const auto& c : checked) names += (names.empty() ? "" : ", ") + c;
  return "check_sasl_access " + ref + " is consulted before any permit on " + names;
}

bool QueuedFromAccount(std::string_view sender, std::string_view account,
                       const std::vector<std::string>& local_domains) {
  std::string s = AsciiLower(std::string(sender)), a = AsciiLower(std::string(account));
  if (s == a) return true;
  if (a.find('@') != std::string::npos) return false;
  // A bare login ("info") sends as info@<one of the server's own domains>.
  size_t at = s.rfind('@');
  if (at == std::string::npos || s.substr(0, at) != a) return false;
  std::string domain = s.substr(at + 1);
  for (const auto& d : local_domains) {
    if (AsciiLower(d) == domain) return true;
  }
  return false;
}

Status PostfixContainment::Postfix(const std::string& tool, std::vector<std::string> args,
                                   const std::string& step, std::vector<HookStep>& steps,
                                   const std::string& stdin_data, std::string* output) {
  CommandSpec spec;
  spec.argv = {config_.command_dir + "/" + tool, "-c", config_.config_dir};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdin_data = stdin_data;
  spec.timeout = std::chrono::seconds(30);
  spec.max_output = 8 * 1024 * 1024;  // postqueue -j of a big queue
  auto r = runner_.Run(spec);
  std::string shown = CommandLineForDisplay(spec.argv);
  if (!r.ok()) {
    steps.push_back({step, false, r.error().message});
    return r.error();
  }
  bool ok = !r->timed_out && r->exit_status == 0;
  if (output != nullptr) *output = r->output;
  std::string out = output != nullptr && ok ? "" : OneLine(ScrubSecrets(r->output, {}, 400));
  // A command whose output the caller reads is recorded by the caller, unless it failed.
  if (!ok || output == nullptr) {
    steps.push_back(
        {step, ok,
         shown + (r->timed_out ? ": timed out" : ": exit " + std::to_string(r->exit_status)) +
             (out.empty() ? "" : " (" + out + ")")});
  }
  if (!ok)
    return MakeError(ErrorCode::kUnavailable, shown + " failed" + (out.empty() ? "" : ": " + out));
  return Status::Ok();
}

Status PostfixContainment::Preflight(const std::string& account, std::vector<HookStep>& steps) {
  if (config_.access_map.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "[postfix] needs access_map = PATH (the check_sasl_access map)");
  }
  std::vector<std::string> names = {"-x",
                                    "smtpd_sasl_auth_enable",
                                    "mydestination",
                                    "virtual_mailbox_domains",
                                    "virtual_alias_domains",
                                    "smtpd_tls_security_level",
                                    "smtpd_use_tls",
                                    "smtpd_enforce_tls",
                                    "smtpd_tls_cert_file",
                                    "smtpd_tls_chain_files"};
  for (const char* list : kRestrictionLists) names.push_back(list);
  std::string main_out, services_out, overrides_out;
  MXIR_RETURN_IF_ERROR(Postfix("postconf", names, "check_config", steps, "", &main_out));
  // master.cf: the smtpd listeners, and their -o overrides (a submission service usually has
  // its own restriction lists, which replace main.cf's there).
  MXIR_RETURN_IF_ERROR(Postfix("postconf", {"-M"}, "check_config", steps, "", &services_out));
  MXIR_RETURN_IF_ERROR(
      Postfix("postconf", {"-P", "-x"}, "check_config", steps, "", &overrides_out));
  std::map<std::string, std::string> main_cf = ParsePostconf(main_out);
  std::string ref = config_.map_type + ":" + config_.access_map;
  std::vector<SmtpdService> services = ParseSmtpdServices(services_out, overrides_out);
  auto order = CheckSaslAccessOrder(main_cf, services, ref);
  if (!order.ok()) {
    steps.push_back({"check_config", false, order.error().message});
    return order.error().WithContext("Postfix in " + config_.config_dir);
  }
  local_domains_.clear();
  for (const char* p : {"mydestination", "virtual_mailbox_domains", "virtual_alias_domains"}) {
    for (const auto& d : RestrictionTokens(main_cf[p])) {
      if (d.find_first_of(":/$") == std::string::npos) local_domains_.push_back(d);
    }
  }
  steps.push_back({"check_config", true, *order});
  endpoints_ = ProbeEndpoints(main_cf, services);
  checked_ = true;
  return Status::Ok();
}

Status PostfixContainment::SetBlocked(const std::string& account, bool blocked,
                                      std::vector<HookStep>& steps) {
  std::string before;
  if (FileExists(config_.access_map)) {
    MXIR_ASSIGN_OR_RETURN(before, ReadFile(config_.access_map));
  }
  bool changed = false;
  std::string after = EditAccessMap(before, account, blocked, config_.reject_text, &changed);
  const std::string step = blocked ? "block_sasl_login" : "unblock_sasl_login";
  if (!changed) {
    steps.push_back({step, true,
                     std::string("already ") + (blocked ? "blocked" : "not blocked") + " in " +
                         config_.access_map});
  } else {
    Status w = ReplaceFileAtomically(config_.access_map, after, 0644);
    if (!w.ok()) {
      steps.push_back({step, false, w.error().message});
      return w;
    }
    steps.push_back(
        {step, true, std::string(blocked ? "added to " : "removed from ") + config_.access_map});
  }
  if (config_.map_type != "texthash") {
    MXIR_RETURN_IF_ERROR(
        Postfix("postmap", {config_.map_type + ":" + config_.access_map}, "postmap", steps));
  }
  MXIR_RETURN_IF_ERROR(Postfix("postfix", {"reload"}, "postfix_reload", steps));
  // Ask Postfix's own lookup what the map now says for the login (the built map, with Postfix's
  // case folding): a block is only reported when the lookup says REJECT, a release only when it
  // finds nothing.
  std::string looked_up;
  const std::string ref = config_.map_type + ":" + config_.access_map;
  auto r =
      runner_.Run({{config_.command_dir + "/postmap", "-c", config_.config_dir, "-q", account, ref},
                   "",
                   {},
                   std::chrono::seconds(30),
                   4096});
  if (!r.ok()) {
    steps.push_back({"verify_block", false, r.error().message});
    return r.error();
  }
  std::string answer = OneLine(r->output);
  bool rejects = r->exit_status == 0 && AsciiLower(answer).rfind("reject", 0) == 0;
  bool absent = r->exit_status == 1 && answer.empty();
  bool ok = blocked ? rejects : absent;
  steps.push_back(
      {"verify_block", ok,
       "postmap -q " + account + " " + ref + ": " + (answer.empty() ? "not found" : answer)});
  if (!ok) {
    return MakeError(ErrorCode::kUnavailable,
                     std::string("Postfix's lookup of '") + account + "' in " + ref +
                         (blocked ? " does not say REJECT" : " still finds it") +
                         ": the map was not rebuilt or is not the one Postfix reads");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> PostfixContainment::QueueIds(
    const std::string& account, const std::vector<std::string>& queues,
    std::vector<HookStep>& steps) {
  std::string out;
  MXIR_RETURN_IF_ERROR(Postfix("postqueue", {"-j"}, "list_queue", steps, "", &out));
  std::vector<std::string> ids, others;
  std::istringstream in(out);
  std::string line;
  const std::string want = AsciiLower(account);
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // postqueue prints one object per line
    const auto& qn = j["queue_name"];
    std::string queue = qn.is_string() ? qn.get<std::string>() : "";
    if (std::find(queues.begin(), queues.end(), queue) == queues.end()) continue;
    const auto& sender = j["sender"];
    const auto& qid = j["queue_id"];
    std::string id = qid.is_string() ? qid.get<std::string>() : "";
    // Queue ids are alphanumeric; anything else would be an odd line, never passed on.
    bool valid = !id.empty() && std::all_of(id.begin(), id.end(),
                                            [](unsigned char c) { return std::isalnum(c) != 0; });
    if (!valid) continue;
    if (sender.is_string() &&
        QueuedFromAccount(sender.get<std::string>(), account, local_domains_)) {
      ids.push_back(id);
    } else {
      others.push_back(id);
    }
  }
  // Mail the login submitted under another sender address (a forged From, another domain):
  // Postfix keeps the SASL login in the queue file ("sasl_username"), postcat shows it.
  size_t looked = 0;
  for (const auto& id : others) {
    if (++looked > kMaxPostcat) {
      steps.push_back({"list_queue", true,
                       std::to_string(others.size() - kMaxPostcat) +
                           " more queued message(s) not checked for the SASL login (too many)"});
      break;
    }
    auto r =
        runner_.Run({{config_.command_dir + "/postcat", "-c", config_.config_dir, "-e", "-q", id},
                     "",
                     {},
                     std::chrono::seconds(10),
                     64 * 1024});
    if (!r.ok() || r->exit_status != 0) continue;  // gone meanwhile (delivered)
    std::istringstream lines(r->output);
    std::string l;
    while (std::getline(lines, l)) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      constexpr std::string_view kAttr = "named_attribute: sasl_username=";
      if (l.rfind(kAttr, 0) == 0 && AsciiLower(l.substr(kAttr.size())) == want) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

Status PostfixContainment::ActOnQueue(const std::string& account,
                                      const std::vector<std::string>& queues,
                                      const std::string& flag, const std::string& step,
                                      std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(std::vector<std::string> ids, QueueIds(account, queues, steps));
  if (ids.empty()) {
    steps.push_back({step, true, "no queued mail from " + account + " (by sender or SASL login)"});
    return Status::Ok();
  }
  std::string list;
  for (const auto& id : ids) list += id + "\n";
  MXIR_RETURN_IF_ERROR(Postfix("postsuper", {flag, "-"}, step, steps, list));
  steps.back().detail += "; " + std::to_string(ids.size()) + " message(s) from " + account;
  return Status::Ok();
}

Status PostfixContainment::SuspendOutbound(const std::string& account,
                                           std::vector<HookStep>& steps) {
  if (!checked_) MXIR_RETURN_IF_ERROR(Preflight(account, steps));
  MXIR_RETURN_IF_ERROR(SetBlocked(account, true, steps));
  return ActOnQueue(account, {"incoming", "active", "deferred"}, "-h", "hold_queued_mail", steps);
}

Status PostfixContainment::ResumeOutbound(const std::string& account,
                                          std::vector<HookStep>& steps) {
  MXIR_RETURN_IF_ERROR(SetBlocked(account, false, steps));
  return ActOnQueue(account, {"hold"}, "-H", "release_held_mail", steps);
}

Status PostfixContainment::PurgeHeld(const std::string& account, std::vector<HookStep>& steps) {
  MXIR_RETURN_IF_ERROR(ActOnQueue(account, {"hold"}, "-d", "delete_held_mail", steps));
  return SetBlocked(account, false, steps);
}

}  // namespace mxir::hooks
