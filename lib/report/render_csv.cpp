// The CSV form of the weekly report: one row per (target, list), RFC 4180 (see weekly_report.h).
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/record_printer.h"
#include "report/weekly_report.h"

namespace mxir::report {

std::string RenderCsv(const WeeklyReport& r, const TimeZone& tz) {
  std::ostringstream o;
  o << "target,zone,list,status,state,listed_since,days_listed,requested_at,request_age_days,"
       "request_how,request_ref,relist_count,next_action,changes_this_week";
  for (const auto& d : r.day_labels) o << "," << d;
  o << "\r\n";
  auto opt_time = [&](const std::optional<Timestamp>& t) {
    if (!t) return std::string();
    // RFC 3339 in --tz (the day columns are in it too): "Z" for UTC, else the offset.
    int64_t off = tz.OffsetAt(*t);
    if (off == 0) return t->ToString();
    std::string local = tz.UtcToLocal(*t).ToString().substr(0, 19);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+',
                  static_cast<int>(std::abs(off) / 3600),
                  static_cast<int>(std::abs(off) % 3600 / 60));
    return local + buf;
  };
  auto opt_int = [](const std::optional<int64_t>& v) {
    return v ? std::to_string(*v) : std::string();
  };
  for (const auto& row : r.rows) {
    std::string changes;
    for (const auto& c : row.changes) {
      changes += (changes.empty() ? "" : "; ") + LocalTime(c.ts, tz) + " " + c.event;
    }
    o << CsvField(row.target) << "," << CsvField(row.zone) << "," << CsvField(row.list_id) << ","
      << CsvField(row.status) << "," << CsvField(row.state) << ","
      << CsvField(opt_time(row.listed_since)) << "," << opt_int(row.days_listed) << ","
      << CsvField(opt_time(row.requested_at)) << "," << opt_int(row.request_age_days) << ","
      << CsvField(row.request_how) << "," << CsvField(row.request_ref) << "," << row.relist_count
      << "," << CsvField(row.next_action) << "," << CsvField(changes);
    for (char c : row.days) {
      o << "," << (c == 'L' ? "listed" : c == 'C' ? "clean" : c == '?' ? "unknown" : "");
    }
    o << "\r\n";
  }
  return o.str();
}

}  // namespace mxir::report
