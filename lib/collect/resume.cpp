#include "collect/resume.h"

#include "casedb/event_reader.h"

namespace mxir::collect {

Result<std::optional<Timestamp>> LastCollectedTime(casedb::CaseDb& c, const std::string& source) {
  return casedb::LatestEventTime(c, source);
}

}  // namespace mxir::collect
