// SessionSummary: per (client, account) counts from the event stream.
#include "session_summary.h"

#include <algorithm>
#include <vector>

namespace mxir::tools {

SessionSummary::Row& SessionSummary::At(const std::string& client, const std::string& user,
                                        Timestamp ts) {
  Row& r = rows_[{client, user.empty() ? "-" : user}];
  if (!r.seen || ts < r.first) r.first = ts;
  if (!r.seen || ts > r.last) r.last = ts;
  r.seen = true;
  return r;
}

void SessionSummary::Add(const Event& e) {
  std::string client = e.client_ip ? e.client_ip->ToString() : "-";
  switch (e.kind) {
    case EventKind::kAuth: {
      Row& r = At(client, e.user, e.ts);
      if (e.outcome == "success") ++r.auth_ok;
      if (e.outcome == "failure") ++r.auth_failed;
      if (!e.user.empty()) session_user_[e.session] = e.user;
      break;
    }
    case EventKind::kMessage: {
      Row& r = At(client, e.user, e.ts);
      ++r.messages;
      r.recipients += static_cast<int64_t>(e.recipients.size());
      break;
    }
    case EventKind::kTls:
      ++At(client, session_user_.count(e.session) ? session_user_[e.session] : "", e.ts).tls;
      break;
    case EventKind::kSessionEnd: {
      auto it = session_user_.find(e.session);
      ++At(client, it == session_user_.end() ? "" : it->second, e.ts).sessions;
      if (it != session_user_.end()) session_user_.erase(it);
      break;
    }
    default:
      break;
  }
}

void SessionSummary::Print(std::ostream& out, OutputFormat format) const {
  std::vector<std::pair<std::pair<std::string, std::string>, Row>> sorted(rows_.begin(),
                                                                          rows_.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (a.second.auth_failed != b.second.auth_failed) {
      return a.second.auth_failed > b.second.auth_failed;
    }
    return a.second.sessions > b.second.sessions;
  });
  RecordPrinter printer(out, format,
                        {{"client_ip", "CLIENT"},
                         {"user", "ACCOUNT"},
                         {"sessions", "SESSIONS"},
                         {"auth_ok", "AUTH OK"},
                         {"auth_failed", "AUTH FAILED"},
                         {"messages", "MESSAGES"},
                         {"recipients", "RECIPIENTS"},
                         {"tls", "TLS"},
                         {"first_seen", "FIRST SEEN"},
                         {"last_seen", "LAST SEEN"}});
  for (const auto& [key, r] : sorted) {
    nlohmann::ordered_json j;
    j["client_ip"] = key.first;
    j["user"] = key.second;
    j["sessions"] = r.sessions;
    j["auth_ok"] = r.auth_ok;
    j["auth_failed"] = r.auth_failed;
    j["messages"] = r.messages;
    j["recipients"] = r.recipients;
    j["tls"] = r.tls;
    j["first_seen"] = r.first.ToString();
    j["last_seen"] = r.last.ToString();
    printer.Add(j);
  }
  printer.Finish();
}

}  // namespace mxir::tools
