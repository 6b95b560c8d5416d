#include "casedb/timeline.h"

#include <algorithm>

#include "casedb/action_log.h"
#include "casedb/event_reader.h"
#include "casedb/finding_store.h"
#include "casedb/playbook_store.h"
#include "core/event_json.h"

namespace mxir::casedb {

namespace {
void Append(std::string& s, const char* label, const std::string& v) {
  if (v.empty()) return;
  s += ' ';
  s += label;
  s += v;
}
}  // namespace

std::string DescribeEvent(const Event& e) {
  std::string s = EventKindName(e.kind);
  switch (e.kind) {
    case EventKind::kAuth:
      s = "auth " + (e.outcome.empty() ? std::string("attempt") : e.outcome) + ":";
      Append(s, "", e.user.empty() ? std::string("(no user)") : e.user);
      Append(s, "via ", e.mechanism);
      Append(s, "app ", e.client_app);
      Append(s, "error ", e.error_code);
      break;
    case EventKind::kHelo:
      Append(s, "", e.helo);
      break;
    case EventKind::kTls:
      Append(s, "", e.how);
      Append(s, "sni ", e.sni);
      break;
    case EventKind::kMail:
      Append(s, "from ", e.mail_from);
      break;
    case EventKind::kRcpt:
      Append(s, "to ", e.rcpt_to);
      if (e.accepted) s += *e.accepted ? " accepted" : " rejected";
      break;
    case EventKind::kMessage:
      Append(s, "from ", e.mail_from);
      s += " to " + std::to_string(e.recipients.size()) + " recipient(s)";
      Append(s, "subject ", e.subject.empty() ? "" : "\"" + e.subject + "\"");
      break;
    case EventKind::kReply:
      Append(s, "to ", e.command);
      Append(s, "", e.text);
      break;
    case EventKind::kDelivery:
      Append(s, "", e.status);
      Append(s, "to ", e.rcpt_to);
      Append(s, "via ", e.relay);
      Append(s, "", e.text);
      break;
    case EventKind::kMailboxChange:
      Append(s, "", e.operation);
      Append(s, "on ", e.user);
      if (!e.actor.empty() && e.actor != e.user) Append(s, "by ", e.actor);
      for (const auto& [name, value] : e.parameters) {
        if (name == "ForwardTo" || name == "RedirectTo" || name == "ForwardAsAttachmentTo" ||
            name == "ForwardingSmtpAddress" || name == "ForwardingAddress" ||
            name == "DeleteMessage" || name == "MoveToFolder") {
          Append(s, (name + "=").c_str(), value);
        }
      }
      break;
    case EventKind::kSessionEnd:
      Append(s, "", e.state);
      break;
    case EventKind::kGap:
      if (e.bytes) s += " " + std::to_string(*e.bytes) + " bytes " + e.direction;
      break;
    default:
      break;
  }
  if (e.client_ip) s += " from " + e.client_ip->ToString();
  if (e.code) s += " (" + std::to_string(*e.code) + ")";
  Append(s, "[", e.source.empty() ? "" : e.source + "]");
  return s;
}

Status ForEachTimelineEntry(CaseDb& c, std::optional<Timestamp> since,
                            std::optional<Timestamp> until,
                            const std::function<void(const TimelineEntry&)>& fn) {
  // Findings and actions are few; events can be many, so they stream and the others are merged
  // in as the event times pass them.
  std::vector<TimelineEntry> side;
  FindingStore findings(c);
  MXIR_ASSIGN_OR_RETURN(auto fs, findings.List(since, until));
  for (const auto& f : fs) {
    TimelineEntry t;
    t.ts = f.first_seen;
    t.type = "finding";
    t.what = f.kind;
    t.summary = std::string(SeverityName(f.severity)) + " " + f.kind;
    if (!f.client_ip.empty()) t.summary += " from " + f.client_ip;
    if (!f.user.empty()) t.summary += " account " + f.user;
    t.record = FindingToJson(f);
    side.push_back(std::move(t));
  }
  ActionLog actions(c);
  MXIR_ASSIGN_OR_RETURN(auto as, actions.List(since, until));
  for (const auto& a : as) {
    TimelineEntry t;
    t.ts = a.ts;
    t.type = "action";
    t.what = a.action;
    // What people wrote is the point of a note or a dismissal: show it.
    std::string text = a.details.is_object() ? a.details.value("text", std::string()) : "";
    if (text.empty() && a.details.is_object()) text = a.details.value("why", std::string());
    if (a.action == "note") {
      t.type = "note";
      t.summary = "note" + (a.target == "case" ? std::string() : " on " + a.target) + ": " + text +
                  " (by " + a.actor + ")";
    } else {
      t.summary = a.action + " " + a.target + ": " + a.outcome +
                  (text.empty() ? "" : " — " + text) + " (" + a.tool + ", by " + a.actor + ")";
      if (a.details.is_object() && a.details.contains("files") && a.details["files"].is_array()) {
        std::string files;
        for (const auto& f : a.details["files"]) {
          if (f.is_string()) files += (files.empty() ? "" : ", ") + f.get<std::string>();
        }
        if (!files.empty()) t.summary += " [" + files + "]";
      }
    }
    t.record = {{"tool", a.tool},     {"actor", a.actor},     {"target", a.target},
                {"action", a.action}, {"outcome", a.outcome}, {"details", a.details}};
    side.push_back(std::move(t));
  }
  // Playbook runs: each step a person or mxir took, at the time it ended (or started).
  PlaybookStore playbooks(c);
  MXIR_ASSIGN_OR_RETURN(auto runs, playbooks.ListRuns());
  for (const auto& r : runs) {
    MXIR_ASSIGN_OR_RETURN(auto steps, playbooks.ListSteps(r.run_id));
    for (const auto& s : steps) {
      std::optional<Timestamp> at = s.ended_at ? s.ended_at : s.started_at;
      if (!at || (since && *at < *since) || (until && !(*at < *until))) continue;
      TimelineEntry t;
      t.ts = *at;
      t.type = "playbook";
      t.what = s.state;
      t.summary = r.runbook_id + (r.dry_run ? " (dry run) " : " ") + r.run_id + " step " + s.key +
                  " (" + s.type + "): " + s.state;
      if (!s.summary.empty()) t.summary += " — " + s.summary;
      t.record = PlaybookStepToJson(s);
      t.record["run_id"] = r.run_id;
      t.record["runbook"] = r.runbook_id;
      side.push_back(std::move(t));
    }
  }
  std::stable_sort(side.begin(), side.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.ts < b.ts; });
  size_t next = 0;
  EventFilter filter{since, until};
  MXIR_RETURN_IF_ERROR(ForEachEvent(c, filter, [&](const Event& e) {
    while (next < side.size() && side[next].ts <= e.ts) fn(side[next++]);
    TimelineEntry t;
    t.ts = e.ts;
    t.type = "event";
    t.what = EventKindName(e.kind);
    t.summary = DescribeEvent(e);
    t.record = nlohmann::ordered_json::parse(EventToJson(e), nullptr, false);
    fn(t);
    return true;
  }));
  while (next < side.size()) fn(side[next++]);
  return Status::Ok();
}

}  // namespace mxir::casedb
