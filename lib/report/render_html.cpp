// The HTML form of the weekly report: one self-contained file (inline CSS and SVG, no scripts,
// no external resources), readable offline and printable (see weekly_report.h).
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

std::string Esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* CellColour(char c) {
  switch (c) {
    case 'L':
      return "#d62728";
    case 'C':
      return "#2ca02c";
    case '?':
      return "#ff9f1c";
    default:
      return "#e8e8e8";
  }
}

// The timeline: one row per (target, list), one square per day.
std::string TimelineSvg(const WeeklyReport& r) {
  const int label_w = 360, cell = 34, gap = 4, row_h = cell + gap, top = 28;
  const int width = label_w + 7 * (cell + gap) + 10;
  const int height = top + static_cast<int>(r.rows.size()) * row_h + 30;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height
    << "\" role=\"img\" aria-label=\"listing timeline\" font-family=\"sans-serif\" "
       "font-size=\"12\">\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height
    << "\" fill=\"#ffffff\"/>\n";
  for (size_t d = 0; d < r.day_labels.size(); ++d) {
    o << "<text x=\"" << label_w + static_cast<int>(d) * (cell + gap) + cell / 2 << "\" y=\"18\" "
      << "text-anchor=\"middle\">" << Esc(r.day_labels[d].substr(5)) << "</text>\n";
  }
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    int y = top + static_cast<int>(i) * row_h;
    o << "<text x=\"4\" y=\"" << y + cell / 2 + 4 << "\""
      << (row.state == "relisted" ? " fill=\"#d62728\" font-weight=\"bold\"" : "") << ">"
      << Esc(row.target + " on " + row.zone) << "</text>\n";
    for (size_t d = 0; d < row.days.size(); ++d) {
      char c = row.days[d];
      o << "<rect x=\"" << label_w + static_cast<int>(d) * (cell + gap) << "\" y=\"" << y
        << "\" width=\"" << cell << "\" height=\"" << cell << "\" rx=\"4\" fill=\"" << CellColour(c)
        << "\"><title>"
        << Esc(r.day_labels[d] + ": " +
               (c == 'L'   ? "listed"
                : c == 'C' ? "clean"
                : c == '?' ? "unknown"
                           : "not checked"))
        << "</title></rect>\n";
    }
  }
  int ly = top + static_cast<int>(r.rows.size()) * row_h + 16;
  const char* legend[] = {"L", "listed", "C", "clean", "?", "refused/error", " ", "not checked"};
  for (int k = 0; k < 4; ++k) {
    int x = 4 + k * 120;
    o << "<rect x=\"" << x << "\" y=\"" << ly - 10 << "\" width=\"12\" height=\"12\" fill=\""
      << CellColour(legend[2 * k][0]) << "\"/><text x=\"" << x + 16 << "\" y=\"" << ly << "\">"
      << legend[2 * k + 1] << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string EventName(const std::string& e) {
  if (e == "new_listing") return "new listing";
  if (e == "cause_fixed") return "cause fixed";
  if (e == "requested") return "removal requested";
  if (e == "relisted") return "RELISTED";
  return e;
}

// Escaped text with its http(s) URLs as links (removal pages open with one click).
std::string Linkify(const std::string& escaped) {
  std::string out;
  size_t i = 0;
  while (i < escaped.size()) {
    size_t p = escaped.find("http", i);
    if (p == std::string::npos ||
        (escaped.compare(p, 8, "https://") != 0 && escaped.compare(p, 7, "http://") != 0)) {
      out += escaped.substr(i, p == std::string::npos ? std::string::npos : p + 4 - i);
      if (p == std::string::npos) break;
      i = p + 4;
      continue;
    }
    out += escaped.substr(i, p - i);
    size_t end = p;
    while (end < escaped.size() && escaped[end] != ' ' && escaped[end] != '<' &&
           escaped[end] != '"' && escaped[end] != ')') {
      ++end;
    }
    while (end > p &&
           (escaped[end - 1] == '.' || escaped[end - 1] == ',' || escaped[end - 1] == ';')) {
      --end;
    }
    std::string url = escaped.substr(p, end - p);
    out += "<a href=\"" + url + "\">" + url + "</a>";
    i = end;
  }
  return out;
}

}  // namespace

std::string RenderHtml(const WeeklyReport& r, const TimeZone& tz) {
  std::ostringstream o;
  std::string title = "Weekly blocklist report" + (r.case_title.empty() ? "" : ": " + r.case_title);
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
       "'unsafe-inline'; img-src data:\">\n"
    << "<title>" << Esc(title) << "</title>\n<style>\n"
    << "body{font-family:sans-serif;margin:2em;color:#222;background:#fff}"
       "table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}"
       "th{background:#f0f0f0}.relisted td{background:#fde0e0}.listed{color:#b00;font-weight:bold}"
       ".not_listed{color:#070}.summary{font-size:1.2em}.big{font-size:1.6em;font-weight:bold}"
       ".alert{color:#b00;font-weight:bold}\n"
    << "</style>\n</head>\n<body>\n";
  o << "<h1>" << Esc(title) << "</h1>\n<p>Week " << Esc(LocalTime(r.start, tz)) << " to "
    << Esc(LocalTime(r.end, tz)) << " (" << Esc(r.tz_name) << ")</p>\n";
  o << "<h2>Summary</h2>\n<p class=\"summary\">Listed on <span class=\"big\">" << r.listed_now
    << "</span> lists now; " << r.listed_week_ago << " a week ago.</p>\n<ul>\n";
  o << "<li>This week: " << Count(r.new_listings, "new listing") << ", "
    << Count(r.delistings, "delisting") << ", " << Count(r.relistings, "relisting") << ", "
    << Count(r.requests, "removal request") << ".</li>\n";
  for (const auto& c : r.changes) {
    if (c.event == "relisted") {
      o << "<li class=\"alert\">RELISTED: " << Esc(c.target) << " on " << Esc(c.zone) << " ("
        << Esc(LocalTime(c.ts, tz)) << "): the cause was not fixed or came back.</li>\n";
    }
  }
  if (r.checks_this_week == 0) {
    o << "<li class=\"alert\">No blocklist checks this week: the counts above say nothing about "
         "the lists. Run <code>mxir dnsbl watch --case "
      << Esc(r.case_path) << "</code>.</li>\n";
  } else {
    o << "<li>Checks this week: " << r.checks_this_week << ".</li>\n";
  }
  for (const auto& p : r.problems) {
    o << "<li>" << Esc(p.zone) << " answered " << Esc(p.status) << " " << p.count
      << " times: " << Esc(p.meaning) << "</li>\n";
  }
  o << "</ul>\n<h2>The incident so far</h2>\n";
  if (r.findings.empty()) {
    o << "<p>No findings stored.</p>\n";
  } else {
    o << "<table>\n<tr><th>Severity</th><th>Finding</th><th>Host</th><th>Account</th>"
         "<th>What</th><th>Status</th></tr>\n";
    for (const auto& f : r.findings) {
      o << "<tr><td>" << Esc(f.severity) << "</td><td>" << Esc(f.kind) << "</td><td>" << Esc(f.host)
        << "</td><td>" << Esc(f.account) << "</td><td>" << Esc(f.verdict) << "</td><td>"
        << Esc(f.status) << "</td></tr>\n";
    }
    o << "</table>\n";
  }
  if (r.actions.empty()) {
    o << "<p>No resets, containment, notes or runbook runs recorded yet.</p>\n";
  } else {
    o << "<p>What was done:</p>\n<ul>\n";
    for (const auto& a : r.actions) {
      o << "<li>"
        << Esc(LocalTime(a.ts, tz) + " " + a.action + " " + a.target + ": " + a.outcome +
               (a.text.empty() ? "" : " — " + a.text))
        << "</li>\n";
    }
    o << "</ul>\n";
  }
  o << "<h2>Timeline (last 7 days)</h2>\n";
  if (r.rows.empty()) {
    o << "<p>No listing recorded in this case.</p>\n";
  } else {
    o << TimelineSvg(r);
  }
  o << "<h2>Per list</h2>\n<table>\n<tr><th>Target</th><th>List</th><th>Status</th>"
       "<th>State</th><th>Listed since</th><th>Days listed</th><th>Requested</th>"
       "<th>Request age (days)</th><th>Relists</th><th>Next action</th><th>This week</th></tr>\n";
  for (const auto& row : r.rows) {
    o << "<tr" << (row.relisted ? " class=\"relisted\"" : "") << "><td>" << Esc(row.target)
      << "</td><td>" << Esc(row.zone) << "</td><td class=\"" << Esc(row.status) << "\">"
      << Esc(row.status) << "</td><td>"
      << (row.state == "relisted" ? "<span class=\"alert\">RELISTED</span>" : Esc(row.state))
      << "</td><td>" << (row.listed_since ? Esc(LocalDate(*row.listed_since, tz)) : "")
      << "</td><td>" << (row.days_listed ? std::to_string(*row.days_listed) : "") << "</td><td>"
      << (row.requested_at ? Esc(LocalDate(*row.requested_at, tz)) : "")
      << (row.request_ref.empty() ? "" : " (" + Esc(row.request_ref) + ")") << "</td><td>"
      << (row.request_age_days ? std::to_string(*row.request_age_days) : "") << "</td><td>"
      << row.relist_count << "</td><td>" << Linkify(Esc(row.next_action)) << "</td><td>";
    for (const auto& c : row.changes) {
      o << Esc(LocalDate(c.ts, tz) + " " + EventName(c.event)) << "<br>";
    }
    o << "</td></tr>\n";
  }
  o << "</table>\n<h2>Changes this week</h2>\n<ul>\n";
  for (const auto& c : r.changes) {
    o << "<li>"
      << Esc(LocalTime(c.ts, tz) + " " + c.target + " on " + c.zone + ": " + EventName(c.event) +
             (c.detail.empty() ? "" : " (" + c.detail + ")"))
      << "</li>\n";
  }
  if (r.changes.empty()) o << "<li>None.</li>\n";
  o << "</ul>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace mxir::report
