#include "casedb/asset_store.h"

#include "core/ip_address.h"
#include "core/process_info.h"

namespace mxir::casedb {

const char* AssetKindName(AssetKind k) {
  switch (k) {
    case AssetKind::kIp:
      return "ip";
    case AssetKind::kNetwork:
      return "network";
    case AssetKind::kDomain:
      return "domain";
    case AssetKind::kAccount:
      return "account";
  }
  return "ip";
}

std::optional<AssetKind> ParseAssetKind(std::string_view name) {
  if (name == "ip") return AssetKind::kIp;
  if (name == "network") return AssetKind::kNetwork;
  if (name == "domain") return AssetKind::kDomain;
  if (name == "account") return AssetKind::kAccount;
  return std::nullopt;
}

Result<std::string> NormaliseAsset(AssetKind kind, const std::string& value) {
  switch (kind) {
    case AssetKind::kIp: {
      MXIR_ASSIGN_OR_RETURN(IpAddress ip, IpAddress::ParseOrError(value));
      return ip.ToString();
    }
    case AssetKind::kNetwork: {
      MXIR_ASSIGN_OR_RETURN(IpNetwork net, IpNetwork::Parse(value));
      return net.ToString();
    }
    case AssetKind::kDomain: {
      std::string d;
      for (char c : value) d += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!d.empty() && d.back() == '.') d.pop_back();
      bool ok = !d.empty() && d.size() <= 253 && d.front() != '.' && d.front() != '-';
      for (char c : d) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
          ok = false;
        }
      }
      if (!ok || d.find("..") != std::string::npos) {
        return MakeError(ErrorCode::kInvalidInput, "'" + value + "' is not a domain name");
      }
      return d;
    }
    case AssetKind::kAccount: {
      if (value.empty() || value.size() > 320 ||
          value.find_first_of(" \t\r\n") != std::string::npos) {
        return MakeError(ErrorCode::kInvalidInput, "'" + value + "' is not an account name");
      }
      return value;
    }
  }
  return value;
}

Result<bool> AssetStore::Add(AssetKind kind, const std::string& raw, const std::string& note,
                             const std::string& source) {
  MXIR_ASSIGN_OR_RETURN(std::string value, NormaliseAsset(kind, raw));
  if (!insert_) {
    MXIR_ASSIGN_OR_RETURN(
        insert_, Statement::Prepare(
                     c_.db(),
                     "INSERT OR IGNORE INTO assets (kind, value, note, source, added, added_by) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  }
  Statement& st = *insert_;
  st.Reset();
  st.Bind(1, AssetKindName(kind))
      .Bind(2, value)
      .Bind(3, note)
      .Bind(4, source)
      .Bind(5, c_.clock().Now().micros())
      .Bind(6, CurrentActor());
  MXIR_RETURN_IF_ERROR(st.Run());
  return c_.db().Changes() > 0;
}

Result<std::vector<Asset>> AssetStore::List(std::optional<AssetKind> kind) {
  std::string sql = "SELECT id, kind, value, note, source, added, added_by FROM assets";
  if (kind) sql += " WHERE kind = ?1";
  sql += " ORDER BY kind, value";
  MXIR_ASSIGN_OR_RETURN(Statement st, Statement::Prepare(c_.db(), sql));
  if (kind) st.Bind(1, AssetKindName(*kind));
  std::vector<Asset> out;
  for (;;) {
    MXIR_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    Asset a;
    a.id = st.ColumnInt(0);
    a.kind = ParseAssetKind(st.ColumnText(1)).value_or(AssetKind::kIp);
    a.value = st.ColumnText(2);
    a.note = st.ColumnText(3);
    a.source = st.ColumnText(4);
    a.added = Timestamp::FromMicros(st.ColumnInt(5));
    a.added_by = st.ColumnText(6);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace mxir::casedb
