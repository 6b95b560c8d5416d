// The Markdown form of the weekly report (see weekly_report.h).
#include <sstream>

#include "report/weekly_report.h"

namespace mxir::report {

namespace {
// "1 delisting", "2 delistings".
std::string Count(int64_t n, const std::string& one) {
  return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}
}  // namespace

namespace {

std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? "-" : out;
}

std::string EventName(const std::string& e) {
  if (e == "new_listing") return "new listing";
  if (e == "delisted") return "delisted";
  if (e == "relisted") return "**RELISTED**";
  if (e == "cause_fixed") return "cause fixed";
  if (e == "requested") return "removal requested";
  return e;
}

}  // namespace

std::string RenderMarkdown(const WeeklyReport& r, const TimeZone& tz) {
  std::ostringstream o;
  o << "# Weekly blocklist report" << (r.case_title.empty() ? "" : ": " + r.case_title) << "\n\n";
  o << "Week " << LocalTime(r.start, tz) << " to " << LocalTime(r.end, tz) << " (" << r.tz_name
    << ").\n\n";
  o << "## Summary\n\n";
  o << "- Listed on **" << r.listed_now << "** lists now; **" << r.listed_week_ago
    << "** a week ago.\n";
  o << "- This week: " << Count(r.new_listings, "new listing") << ", "
    << Count(r.delistings, "delisting") << ", " << Count(r.relistings, "relisting") << ", "
    << Count(r.requests, "removal request") << ".\n";
  for (const auto& row : r.rows) {
    for (const auto& c : row.changes) {
      if (c.event == "relisted") {
        o << "- **RELISTED:** " << row.target << " on " << row.zone << " (" << LocalTime(c.ts, tz)
          << "): the cause was not fixed or came back.\n";
      }
    }
  }
  if (r.checks_this_week == 0) {
    o << "- **No blocklist checks this week**: the counts above say nothing about the lists. Run "
         "`mxir dnsbl watch --case "
      << r.case_path << "` (or `mxir dnsbl check --case " << r.case_path << " ...`).\n";
  } else {
    o << "- Checks this week: " << r.checks_this_week << ".\n";
  }
  for (const auto& p : r.problems) {
    o << "- " << p.zone << " answered " << p.status << " " << p.count
      << " times this week: " << p.meaning << "\n";
  }
  o << "\n## The incident so far\n\n";
  if (r.findings.empty()) {
    o << "No findings stored (run `mxir detect --case " << r.case_path << "`).\n";
  } else {
    o << "| Severity | Finding | Host | Account | What | Status |\n|---|---|---|---|---|---|\n";
    for (const auto& f : r.findings) {
      o << "| " << Cell(f.severity) << " | " << Cell(f.kind) << " | " << Cell(f.host) << " | "
        << Cell(f.account) << " | " << Cell(f.verdict) << " | " << Cell(f.status) << " |\n";
    }
  }
  o << "\n";
  if (r.actions.empty()) {
    o << "No resets, containment, notes or runbook runs recorded yet.\n";
  } else {
    o << "What was done:\n\n";
    for (const auto& a : r.actions) {
      o << "- " << LocalTime(a.ts, tz) << " " << a.action << " " << a.target << ": " << a.outcome
        << (a.text.empty() ? "" : " — " + a.text) << "\n";
    }
  }
  o << "\n## Per list\n\n";
  if (r.rows.empty()) {
    o << "No listing recorded in this case.\n";
  } else {
    o << "| Target | List | Status | State | Listed since | Days listed | Requested | Request "
         "age (days) | Relists | Next action | This week |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& row : r.rows) {
      std::string changes;
      for (const auto& c : row.changes) {
        changes += (changes.empty() ? "" : "; ") + LocalDate(c.ts, tz) + " " + EventName(c.event);
      }
      std::string state = row.state == "relisted" ? "**RELISTED**" : row.state;
      o << "| " << Cell(row.target) << " | " << Cell(row.zone) << " | " << Cell(row.status) << " | "
        << state << " | " << Cell(row.listed_since ? LocalDate(*row.listed_since, tz) : "") << " | "
        << Cell(row.days_listed ? std::to_string(*row.days_listed) : "") << " | "
        << Cell(row.requested_at ? LocalDate(*row.requested_at, tz) +
                                       (row.request_ref.empty() ? "" : " (" + row.request_ref + ")")
                                 : "")
        << " | " << Cell(row.request_age_days ? std::to_string(*row.request_age_days) : "") << " | "
        << row.relist_count << " | " << Cell(row.next_action) << " | " << Cell(changes) << " |\n";
    }
    o << "\n## Timeline (last 7 days)\n\n| Target | List |";
    for (const auto& d : r.day_labels) o << " " << d.substr(5) << " |";
    o << "\n|---|---|";
    for (size_t i = 0; i < r.day_labels.size(); ++i) o << "---|";
    o << "\n";
    for (const auto& row : r.rows) {
      o << "| " << Cell(row.target) << " | " << Cell(row.zone) << " |";
      for (char c : row.days) o << " " << (c == ' ' ? std::string("") : std::string(1, c)) << " |";
      o << "\n";
    }
    o << "\nL listed, C clean, ? only refused/error answers, empty: not checked yet.\n";
  }
  o << "\n## Changes this week\n\n";
  if (r.changes.empty()) o << "None.\n";
  for (const auto& c : r.changes) {
    o << "- " << LocalTime(c.ts, tz) << " " << c.target << " on " << c.zone << ": "
      << EventName(c.event) << (c.detail.empty() ? "" : " (" + c.detail + ")") << "\n";
  }
  return o.str();
}

}  // namespace mxir::report
