#include "sinks/event_sinks.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "core/event_json.h"

namespace mxir::sinks {

void JsonlSink::Emit(Event&& e) {
  WriteEventJson(buf_, e);
  buf_.Char('\n');
  if (buf_.size() >= kFlushAt) Flush();
}

void JsonlSink::Flush() {
  if (!buf_.empty()) std::fwrite(buf_.View().data(), 1, buf_.size(), out_);
  buf_.Clear();
  std::fflush(out_);
}

PrinterSink::PrinterSink(std::ostream& out, OutputFormat format)
    : printer_(out, format,
               {{"ts", "time", 27},
                {"source", "source", 10},
                {"kind", "kind", 13},
                {"protocol", "proto", 10},
                {"client_ip", "client", 39},
                {"user", "user", 32},
                {"outcome", "outcome", 8},
                {"code", "code", 4},
                {"text", "text", 60}}) {}

void PrinterSink::Emit(Event&& e) { printer_.Add(nlohmann::ordered_json::parse(EventToJson(e))); }

void TeeSink::Emit(Event&& e) {
  Event copy = e;
  a_->Emit(std::move(copy));
  b_->Emit(std::move(e));
}

logs::EventSink* OutputSinks::Open(bool print, OutputFormat format, casedb::CaseDb* db) {
  logs::EventSink* out = nullptr;
  if (print && format == OutputFormat::kJsonl) {
    out = &jsonl.emplace(stdout);
  } else if (print) {
    out = &printer.emplace(std::cout, format);
  }
  if (db != nullptr) out = &store.emplace(*db);
  if (db != nullptr && print) {
    out = &tee.emplace(jsonl ? static_cast<logs::EventSink*>(&*jsonl) : &*printer, &*store);
  }
  return out;
}

void GeoOptions::AddTo(Cli& cli) {
  cli.options().add_options()(
      "geoip", po::value(&country_path)->value_name("FILE.mmdb"),
      "add the country of client addresses from this MaxMind-format file (GeoLite2-Country or "
      "-City, DB-IP Lite country) where the log names none")(
      "asn", po::value(&asn_path)->value_name("FILE.mmdb"),
      "add the network (autonomous system number) of client addresses from this file "
      "(GeoLite2-ASN, DB-IP Lite ASN) where the log names none");
}

Status GeoStage::Open(const GeoOptions& o) {
  if (!o.country_path.empty()) {
    auto db = geoip::GeoIpDatabase::Open(o.country_path);
    if (!db.ok()) return db.error().WithContext("--geoip");
    country.emplace(std::move(*db));
  }
  if (!o.asn_path.empty()) {
    auto db = geoip::GeoIpDatabase::Open(o.asn_path);
    if (!db.ok()) return db.error().WithContext("--asn");
    asn.emplace(std::move(*db));
  }
  if (country || asn) enricher.emplace(country ? &*country : nullptr, asn ? &*asn : nullptr);
  return Status::Ok();
}

logs::EventSink* GeoStage::Wrap(logs::EventSink* next) {
  if (!enricher || next == nullptr) return next;
  return &sink.emplace(*enricher, next);
}

void GeoStage::AddCounters(Counters& c) const {
  if (!enricher) return;
  c.Set("geoip.countries_added", enricher->countries_added());
  c.Set("geoip.asns_added", enricher->asns_added());
}

}  // namespace mxir::sinks
