// GeoIpDatabase: one MaxMind-format database file (.mmdb: MaxMind GeoLite2/GeoIP2 Country, City
// or ASN; DB-IP Lite country or ASN), opened read-only through libmaxminddb, answering "which
// country and which autonomous system is this address in".
//
// The file is memory-mapped once at Open() and validated (metadata, search tree, data section);
// a file that is not such a database is an error naming it (ErrorCode::kInvalidInput: the
// tools exit 2). Lookups never fail loudly: an address the file does not cover, or a record
// without the field, gives an empty answer. Move-only; Lookup() is const and may be called from
// several threads at once (libmaxminddb's lookups are read-only on the mapping).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/ip_address.h"
#include "core/status.h"

namespace mxir::geoip {

struct GeoAnswer {
  std::string country;         // ISO 3166-1 alpha-2 ("DE"), empty when unknown
  std::optional<int64_t> asn;  // autonomous system number, when the file has one
};

class GeoIpDatabase {
 public:
  // Opens and checks `path`. Errors: the file is missing or unreadable, or not an .mmdb file.
  static Result<GeoIpDatabase> Open(const std::string& path);

  GeoIpDatabase(GeoIpDatabase&&) noexcept;
  GeoIpDatabase& operator=(GeoIpDatabase&&) noexcept;
  ~GeoIpDatabase();

  // The country (country.iso_code, else registered_country.iso_code) and the ASN
  // (autonomous_system_number) the file records for `ip`; empty when it has none.
  GeoAnswer Lookup(const IpAddress& ip) const;

  // The file's database_type metadata ("GeoLite2-Country", "DBIP-ASN-Lite (compat=GeoLite2-ASN)").
  const std::string& type() const { return type_; }
  const std::string& path() const { return path_; }

 private:
  GeoIpDatabase() = default;
  struct Handle;
  std::unique_ptr<Handle> db_;
  std::string type_, path_;
};

}  // namespace mxir::geoip
