#include "hooks/postfix_containment.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "hooks/scrub.h"

namespace mxir::hooks {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Command output as one line for a step's detail: line breaks become "; ".
std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += "; ";
    } else if (c != '\r') {
      out.push_back(c);
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

}  // namespace

std::string EditAccessMap(const std::string& text, const std::string& account, bool blocked,
                          const std::string& reject_text, bool* changed) {
  std::string out;
  bool present = false;
  *changed = false;
  size_t pos = 0;
  const std::string key = Lower(account);
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t end = eol == std::string::npos ? text.size() : eol + 1;
    std::string line = text.substr(pos, end - pos);
    pos = end;
    size_t ws = line.find_first_of(" \t\r\n");
    std::string first = Lower(line.substr(0, ws));
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
  std::string out;
  MXIR_RETURN_IF_ERROR(Postfix("postconf",
                               {"-h", "smtpd_sender_restrictions", "smtpd_recipient_restrictions",
                                "smtpd_relay_restrictions"},
                               "check_config", steps, "", &out));
  std::string ref = config_.map_type + ":" + config_.access_map;
  if (out.find("check_sasl_access") == std::string::npos || out.find(ref) == std::string::npos) {
    return MakeError(
        ErrorCode::kUsage,
        "Postfix in " + config_.config_dir + " does not use " + ref + ": add 'check_sasl_access " +
            ref + "' to smtpd_sender_restrictions (before permit_sasl_authenticated) and reload");
  }
  steps.push_back({"check_config", true, "main.cf uses check_sasl_access " + ref});
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
  return Postfix("postfix", {"reload"}, "postfix_reload", steps);
}

Result<std::vector<std::string>> PostfixContainment::QueueIds(
    const std::string& account, const std::vector<std::string>& queues,
    std::vector<HookStep>& steps) {
  std::string out;
  MXIR_RETURN_IF_ERROR(Postfix("postqueue", {"-j"}, "list_queue", steps, "", &out));
  std::vector<std::string> ids;
  std::istringstream in(out);
  std::string line;
  const std::string want = Lower(account);
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // postqueue prints one object per line
    std::string queue = j.value("queue_name", "");
    if (std::find(queues.begin(), queues.end(), queue) == queues.end()) continue;
    if (Lower(j.value("sender", "")) != want) continue;
    std::string id = j.value("queue_id", "");
    // Queue ids are alphanumeric; anything else would be an odd line, never passed on.
    bool valid = !id.empty() && std::all_of(id.begin(), id.end(),
                                            [](unsigned char c) { return std::isalnum(c) != 0; });
    if (valid) ids.push_back(id);
  }
  return ids;
}

Status PostfixContainment::ActOnQueue(const std::string& account,
                                      const std::vector<std::string>& queues,
                                      const std::string& flag, const std::string& step,
                                      std::vector<HookStep>& steps) {
  MXIR_ASSIGN_OR_RETURN(std::vector<std::string> ids, QueueIds(account, queues, steps));
  if (ids.empty()) {
    steps.push_back({step, true, "no queued mail from " + account});
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
