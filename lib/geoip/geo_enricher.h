// GeoEnricher: adds `country` and `asn` to events whose source did not give them, from the
// GeoIP files the user provided (--geoip for countries, --asn for autonomous systems; either
// may be absent). What the source itself reported is never overwritten: Entra ID and Google
// name the country they saw, and that stays.
//
// Only the client's address is looked up (the side that logged in or sent). A file that has
// the other field too (a City database with no ASN, an ASN database with no country) is simply
// asked for both. Not thread-safe (one per event stream); the databases are borrowed.
#pragma once

#include <cstdint>
#include <optional>

#include "core/event.h"
#include "geoip/geoip_database.h"

namespace mxir::geoip {

class GeoEnricher {
 public:
  GeoEnricher(const GeoIpDatabase* country_db, const GeoIpDatabase* asn_db)
      : country_db_(country_db), asn_db_(asn_db) {}

  // Fills e.country / e.asn when they are unset and the client address is known to a file.
  void Enrich(Event& e);

  bool active() const { return country_db_ || asn_db_; }
  int64_t countries_added() const { return countries_added_; }
  int64_t asns_added() const { return asns_added_; }

 private:
  const GeoIpDatabase* country_db_;
  const GeoIpDatabase* asn_db_;
  // The events of one session come together: the last address's answers are kept.
  std::optional<IpAddress> last_ip_;
  GeoAnswer last_;
  int64_t countries_added_ = 0, asns_added_ = 0;
};

}  // namespace mxir::geoip
