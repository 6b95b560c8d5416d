// Timeline: the case's events, findings, actions and playbook steps merged in time order, each as
// one line a person can read ("auth failure: bob via LOGIN from 192.0.2.7 (535)").
#pragma once

#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "casedb/case_db.h"
#include "core/event.h"

namespace mxir::casedb {

struct TimelineEntry {
  Timestamp ts;
  std::string type;  // event, finding, action, note (an action that is a person's note), playbook
  std::string what;  // event kind, finding kind, action name
  std::string summary;
  nlohmann::ordered_json record;  // the full record
};

// One readable line for an event.
std::string DescribeEvent(const Event& e);

// Calls `fn` for each entry in time order (events, findings at first_seen, actions).
Status ForEachTimelineEntry(CaseDb& c, std::optional<Timestamp> since,
                            std::optional<Timestamp> until,
                            const std::function<void(const TimelineEntry&)>& fn);

}  // namespace mxir::casedb
