// Resuming a collection: the newest record of a source already in the case, and a sink that
// makes collected events' identity independent of how the records were paged.
#pragma once

#include <optional>

#include "casedb/case_db.h"
#include "core/timestamp.h"
#include "logs/log_parser.h"

namespace mxir::collect {

// The time of the newest event whose source is `source` (entra-signin, ...); nullopt when none.
Result<std::optional<Timestamp>> LastCollectedTime(casedb::CaseDb& c, const std::string& source);

// Collected records have no file: their identity is their content. The record's position in its
// page (which changes when a later run pages from another start) is dropped from the origin.
class StableOriginSink final : public logs::EventSink {
 public:
  explicit StableOriginSink(logs::EventSink* out) : out_(out) {}
  void Emit(Event&& e) override {
    e.origin.line = -1;
    e.origin.index = 0;
    out_->Emit(std::move(e));
  }

 private:
  logs::EventSink* out_;
};

}  // namespace mxir::collect
