#include "collect/resume.h"

#include "casedb/sqlite.h"

namespace mxir::collect {

Result<std::optional<Timestamp>> LastCollectedTime(casedb::CaseDb& c, const std::string& source) {
  MXIR_ASSIGN_OR_RETURN(
      casedb::Statement st,
      casedb::Statement::Prepare(c.db(), "SELECT max(ts) FROM events WHERE source = ?1"));
  st.Bind(1, source);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.ColumnIsNull(0)) return std::optional<Timestamp>();
  return std::optional<Timestamp>(Timestamp::FromMicros(st.ColumnInt(0)));
}

}  // namespace mxir::collect
