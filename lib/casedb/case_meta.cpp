#include "casedb/case_meta.h"

namespace mxir::casedb {

Status CaseMeta::Set(const std::string& key, const std::string& value) {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(c_.db(),
                                       "INSERT INTO case_meta (key, value) VALUES (?1, ?2) "
                                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  st.Bind(1, key).Bind(2, value);
  return st.Run();
}

Result<std::string> CaseMeta::Get(const std::string& key) {
  MXIR_ASSIGN_OR_RETURN(Statement st,
                        Statement::Prepare(c_.db(), "SELECT value FROM case_meta WHERE key = ?1"));
  st.Bind(1, key);
  MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnText(0) : std::string();
}

Result<std::map<std::string, std::string>> CaseMeta::All() {
  MXIR_ASSIGN_OR_RETURN(
      Statement st, Statement::Prepare(c_.db(), "SELECT key, value FROM case_meta ORDER BY key"));
  std::map<std::string, std::string> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out[st.ColumnText(0)] = st.ColumnText(1);
  }
  return out;
}

}  // namespace mxir::casedb
