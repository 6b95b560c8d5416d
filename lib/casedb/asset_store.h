// AssetStore: what the case is about and watches — IP addresses, networks, domains, accounts.
// A value is stored once per kind (adding it again is not an error, and changes nothing).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "casedb/case_db.h"

namespace mxir::casedb {

enum class AssetKind { kIp, kNetwork, kDomain, kAccount };
const char* AssetKindName(AssetKind k);
std::optional<AssetKind> ParseAssetKind(std::string_view name);

struct Asset {
  int64_t id = 0;
  AssetKind kind = AssetKind::kIp;
  std::string value, note, source, added_by;
  Timestamp added;
};

// Checks and normalises a value for its kind (IPs in canonical form, domains lower-case without a
// trailing dot); the error says what is wrong.
Result<std::string> NormaliseAsset(AssetKind kind, const std::string& value);

class AssetStore {
 public:
  explicit AssetStore(CaseDb& c) : c_(c) {}
  // True when added, false when it was there already.
  Result<bool> Add(AssetKind kind, const std::string& value, const std::string& note,
                   const std::string& source);
  Result<std::vector<Asset>> List(std::optional<AssetKind> kind = std::nullopt);

 private:
  CaseDb& c_;
  std::optional<Statement> insert_;  // Add(), prepared once per store (detect adds hundreds)
};

}  // namespace mxir::casedb
