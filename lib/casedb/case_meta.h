// CaseMeta: the case's own key/value facts (title, created, created_by, mxir_version).
#pragma once

#include <map>
#include <string>

#include "casedb/case_db.h"

namespace mxir::casedb {

class CaseMeta {
 public:
  explicit CaseMeta(CaseDb& c) : c_(c) {}
  Status Set(const std::string& key, const std::string& value);
  Result<std::string> Get(const std::string& key);  // "" when unset
  Result<std::map<std::string, std::string>> All();

 private:
  CaseDb& c_;
};

}  // namespace mxir::casedb
