#include "geoip/geo_enricher.h"

namespace mxir::geoip {

void GeoEnricher::Enrich(Event& e) {
  if (!e.client_ip || (!country_db_ && !asn_db_)) return;
  if (!e.country.empty() && e.asn) return;
  const IpAddress ip = e.client_ip->Unmapped();
  if (!last_ip_ || !(*last_ip_ == ip)) {
    // The country from the country file, else from the other one; the ASN likewise.
    GeoAnswer c = country_db_ ? country_db_->Lookup(ip) : GeoAnswer();
    GeoAnswer a = asn_db_ ? asn_db_->Lookup(ip) : GeoAnswer();
    last_.country = !c.country.empty() ? std::move(c.country) : std::move(a.country);
    last_.asn = a.asn ? a.asn : c.asn;
    last_ip_ = ip;
  }
  if (e.country.empty() && !last_.country.empty()) {
    e.country = last_.country;
    ++countries_added_;
  }
  if (!e.asn && last_.asn) {
    e.asn = last_.asn;
    ++asns_added_;
  }
}

}  // namespace mxir::geoip
