// WeeklyReport: the weekly blocklist/delisting status of a case, for the 7 days ending `now`
// (`mxir report weekly`). Built from the case's check history, delisting rows and their events
// (casedb/dnsbl_store.h) plus the catalog's delisting facts (the next action per list).
//
// What a reader may rely on:
//  - summary: how many (target, list) pairs are listed now and were listed 7 days before;
//    this week's new listings, delistings and relistings; checks that gave refused/error;
//  - one row per (target, list) the case ever saw listed: current check status, workflow state,
//    listed since and for how many days, request date and age, relist count, the next action,
//    this week's changes and a 7-cell day-by-day timeline;
//  - relisted pairs are flagged (`relisted` true), they are regressions.
// Day cells: the status of the last conclusive check (listed/not_listed) at or before the end of
// that day: 'L' listed, 'C' clean, '?' only refused/error answers so far, ' ' nothing checked.
// Renderers (render.h) turn the model into Markdown, self-contained HTML (inline SVG) or CSV.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"
#include "core/time_zone.h"
#include "dnsbl/catalog.h"

namespace mxir::report {

struct WeekChange {
  Timestamp ts;
  std::string target, zone, event, detail;
};

struct ReportRow {
  std::string target, zone, list_id, operator_name;
  std::string status;  // latest check: listed, not_listed, refused, error ("" never checked)
  std::string state;   // workflow: listed, cause_fixed, requested, delisted, relisted
  std::optional<Timestamp> listed_since, delisted_at, fixed_at, requested_at, last_checked;
  std::optional<int64_t> days_listed, request_age_days;
  std::string request_how, request_ref, fix_note, removal_url;
  int64_t relist_count = 0;
  bool relisted = false;  // relisted at least once: a regression
  std::string next_action;
  std::vector<WeekChange> changes;  // this week's, oldest first
  std::string days;                 // 7 cells, oldest first
};

struct ZoneProblem {
  std::string zone, status, meaning;
  int64_t count = 0;
};

// The incident so far (P8): what the report's reader, often management, needs besides the
// blocklists: the case's findings and what was done (resets, containment, notes, runbooks).
struct IncidentFinding {
  std::string severity, kind, host, account, verdict, status;
  Timestamp last_seen;
};
struct IncidentAction {
  Timestamp ts;
  std::string tool, target, action, outcome, text;  // text: a note's words
};

struct WeeklyReport {
  std::string case_title, case_path, tz_name;
  Timestamp start, end;                 // [start, end), end = now
  std::vector<std::string> day_labels;  // 7 local dates, oldest first
  int64_t listed_now = 0, listed_week_ago = 0;
  int64_t new_listings = 0, delistings = 0, relistings = 0, requests = 0;
  std::vector<ReportRow> rows;
  std::vector<WeekChange> changes;    // all of this week's workflow events, oldest first
  std::vector<ZoneProblem> problems;  // refused/error answers this week, per zone and status
  int64_t checks_this_week = 0;
  std::vector<IncidentFinding> findings;  // active first, worst first
  std::vector<IncidentAction> actions;    // resets, containment, notes, runbooks; oldest first
};

// `catalog` may be null (then next actions are generic).
Result<WeeklyReport> BuildWeeklyReport(casedb::CaseDb& c, const dnsbl::DnsblCatalog* catalog,
                                       Timestamp now, const TimeZone& tz);

// Local "YYYY-MM-DD HH:MM" in the report's zone, and "YYYY-MM-DD".
std::string LocalTime(Timestamp t, const TimeZone& tz);
std::string LocalDate(Timestamp t, const TimeZone& tz);

std::string RenderMarkdown(const WeeklyReport& r, const TimeZone& tz);
std::string RenderHtml(const WeeklyReport& r, const TimeZone& tz);
std::string RenderCsv(const WeeklyReport& r, const TimeZone& tz);

}  // namespace mxir::report
