#include "report/weekly_report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "casedb/action_log.h"
#include "casedb/case_meta.h"
#include "casedb/dnsbl_store.h"
#include "casedb/finding_store.h"
#include "dnsbl/delisting.h"

namespace mxir::report {

namespace {

using PairKey = std::pair<std::string, std::string>;  // (target, zone)

struct Observation {
  Timestamp ts;
  std::string status;
};

// The last conclusive status at or before `t`: "listed", "not_listed", "?" (only
// refused/error so far) or "" (nothing yet).
std::string StatusAt(const std::vector<Observation>& obs, Timestamp t) {
  std::string out;
  for (const auto& o : obs) {
    if (o.ts > t) break;
    if (o.status == "listed" || o.status == "not_listed") {
      out = o.status;
    } else if (out.empty() || out == "?") {
      out = "?";
    }
  }
  return out;
}

char Cell(const std::string& status) {
  if (status == "listed") return 'L';
  if (status == "not_listed") return 'C';
  if (status == "?") return '?';
  return ' ';
}

std::string EventDetail(const casedb::DelistingEventRow& e) {
  std::string d;
  if (e.details.contains("how") && e.details["how"].is_string()) {
    d = "via " + e.details["how"].get<std::string>();
    if (e.details.contains("ref") && e.details["ref"].is_string() &&
        !e.details["ref"].get<std::string>().empty()) {
      d += ", ref " + e.details["ref"].get<std::string>();
    }
  } else if (e.details.contains("text") && e.details["text"].is_string()) {
    d = e.details["text"].get<std::string>();
  } else if (e.details.contains("meaning") && e.details["meaning"].is_string()) {
    d = e.details["meaning"].get<std::string>();
  }
  return d;
}

std::string NextAction(const ReportRow& row, const dnsbl::DnsblZone* zone, const TimeZone& tz) {
  std::string catalog_action = zone && !zone->next_action.empty()
                                   ? zone->next_action
                                   : "see the list operator's lookup page";
  if (row.state == dnsbl::kStateDelisted) {
    return "none: delisted " + LocalDate(*row.delisted_at, tz) + "; keep watching" +
           (row.relist_count ? " (relisted " + std::to_string(row.relist_count) + "x before)" : "");
  }
  if (row.state == dnsbl::kStateRequested) {
    std::string s =
        "wait: removal requested " + std::to_string(*row.request_age_days) + " days ago";
    if (!row.request_ref.empty()) s += " (ref " + row.request_ref + ")";
    if (zone && zone->expiry_hours && *row.request_age_days * 24 > *zone->expiry_hours) {
      s += "; older than the list's usual " + std::to_string(*zone->expiry_hours) +
           " h: follow up at " + zone->removal_url;
    } else if (*row.request_age_days >= 3 && zone && !zone->removal_url.empty()) {
      s += "; no change after 3 days: follow up at " + zone->removal_url;
    }
    return s;
  }
  if (row.state == dnsbl::kStateCauseFixed) return catalog_action;
  return "fix the cause first and record it (mxir dnsbl delist note --fixed), then: " +
         catalog_action;
}

}  // namespace

std::string LocalTime(Timestamp t, const TimeZone& tz) {
  CivilTime c = tz.UtcToLocal(t).ToCivil();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute);
  return buf;
}

std::string LocalDate(Timestamp t, const TimeZone& tz) { return tz.UtcToLocal(t).DateString(); }

Result<WeeklyReport> BuildWeeklyReport(casedb::CaseDb& c, const dnsbl::DnsblCatalog* catalog,
                                       Timestamp now, const TimeZone& tz) {
  WeeklyReport r;
  r.tz_name = tz.name();
  r.end = now;
  r.start = now - 7 * kMicrosPerDay;
  casedb::CaseMeta meta(c);
  MXIR_ASSIGN_OR_RETURN(r.case_title, meta.Get("title"));
  r.case_path = c.path();
  {
    casedb::FindingStore fs(c);
    MXIR_ASSIGN_OR_RETURN(auto stored, fs.ListStored());
    for (const auto& sf : stored) {
      const Finding& f = sf.finding;
      std::string account = !f.user.empty()       ? f.user
                            : f.users.size() == 1 ? f.users.front()
                            : f.users.empty()     ? ""
                                                  : std::to_string(f.users.size()) + " accounts";
      r.findings.push_back({SeverityName(f.severity), f.kind, f.client_ip, account,
                            f.evidence.value("verdict", f.kind), sf.status, f.last_seen});
    }
    std::stable_sort(r.findings.begin(), r.findings.end(), [](const auto& a, const auto& b) {
      bool aa = a.status == casedb::kFindingActive, ba = b.status == casedb::kFindingActive;
      if (aa != ba) return aa;
      return ParseSeverity(a.severity) > ParseSeverity(b.severity);
    });
    casedb::ActionLog log(c);
    MXIR_ASSIGN_OR_RETURN(auto actions, log.List(std::nullopt, now + 1));
    for (const auto& a : actions) {
      bool wanted = a.tool == "reset" || a.tool == "playbook" ||
                    (a.tool == "case" && (a.action == "note" || a.action == "dismiss finding"));
      if (!wanted) continue;
      std::string text = a.details.value("text", std::string());
      if (text.empty()) text = a.details.value("why", std::string());
      r.actions.push_back({a.ts, a.tool, a.target, a.action, a.outcome, text});
    }
  }
  for (int d = 0; d < 7; ++d) {
    r.day_labels.push_back(LocalDate(r.start + (d + 1) * kMicrosPerDay - 1, tz));
  }
  casedb::DnsblStore store(c);
  MXIR_ASSIGN_OR_RETURN(auto checks, store.ListChecks(std::nullopt, now + 1));
  std::map<PairKey, std::vector<Observation>> history;
  std::map<PairKey, casedb::DnsblCheckRow> latest;
  std::map<std::pair<std::string, std::string>, ZoneProblem> problems;
  for (const auto& ck : checks) {
    PairKey key{ck.target, ck.zone};
    history[key].push_back({ck.ts, ck.status});
    latest[key] = ck;
    if (ck.ts >= r.start) {
      ++r.checks_this_week;
      if (ck.status == "refused" || ck.status == "error") {
        auto& p = problems[{ck.zone, ck.status}];
        p.zone = ck.zone;
        p.status = ck.status;
        p.meaning = ck.meaning;
        ++p.count;
      }
    }
  }
  for (auto& [k, p] : problems) r.problems.push_back(p);
  for (const auto& [key, obs] : history) {
    if (StatusAt(obs, now) == "listed") ++r.listed_now;
    if (StatusAt(obs, r.start) == "listed") ++r.listed_week_ago;
  }
  MXIR_ASSIGN_OR_RETURN(auto events, store.ListDelistingEvents(r.start, now + 1));
  std::map<PairKey, std::vector<WeekChange>> changes;
  for (const auto& e : events) {
    WeekChange wc{e.ts, e.target, e.zone, e.event, EventDetail(e)};
    changes[{e.target, e.zone}].push_back(wc);
    r.changes.push_back(wc);
    if (e.event == dnsbl::kEventNewListing) ++r.new_listings;
    if (e.event == dnsbl::kEventDelisted) ++r.delistings;
    if (e.event == dnsbl::kEventRelisted) ++r.relistings;
    if (e.event == dnsbl::kEventRequested) ++r.requests;
  }
  MXIR_ASSIGN_OR_RETURN(auto rows, store.ListDelistings());
  for (const auto& d : rows) {
    ReportRow row;
    row.target = d.target;
    row.zone = d.zone;
    row.list_id = d.list;
    row.state = d.state;
    row.listed_since = d.listed_since;
    row.delisted_at = d.delisted_at;
    row.fixed_at = d.fixed_at;
    row.requested_at = d.requested_at;
    row.request_how = d.request_how;
    row.request_ref = d.request_ref;
    row.fix_note = d.fix_note;
    row.relist_count = d.relist_count;
    row.relisted = d.relist_count > 0;
    const dnsbl::DnsblZone* zone = catalog ? catalog->Find(d.zone) : nullptr;
    if (zone) {
      row.list_id = zone->id;
      row.operator_name = zone->operator_name;
      row.removal_url = zone->removal_url;
    }
    PairKey key{d.target, d.zone};
    if (auto it = latest.find(key); it != latest.end()) {
      row.status = it->second.status;
      row.last_checked = it->second.ts;
    }
    if (dnsbl::IsListedState(d.state) && d.listed_since) {
      row.days_listed = std::max<int64_t>(0, (now - *d.listed_since) / kMicrosPerDay);
    }
    if (d.state == dnsbl::kStateRequested && d.requested_at) {
      row.request_age_days = std::max<int64_t>(0, (now - *d.requested_at) / kMicrosPerDay);
    }
    row.next_action = NextAction(row, zone, tz);
    row.changes = changes[key];
    const auto& obs = history[key];
    for (int day = 0; day < 7; ++day) {
      row.days += Cell(StatusAt(obs, r.start + (day + 1) * kMicrosPerDay - 1));
    }
    r.rows.push_back(std::move(row));
  }
  // Relisted and listed first: what needs attention leads.
  auto rank = [](const ReportRow& x) {
    if (x.state == dnsbl::kStateRelisted) return 0;
    if (dnsbl::IsListedState(x.state)) return x.relisted ? 1 : 2;
    return 3;
  };
  std::stable_sort(r.rows.begin(), r.rows.end(),
                   [&](const ReportRow& a, const ReportRow& b) { return rank(a) < rank(b); });
  return r;
}

}  // namespace mxir::report
