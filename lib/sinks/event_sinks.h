// Where the events read by `mxir ingest` and `mxir collect` go: printed (jsonl, json, table,
// csv) and/or stored in the case, optionally enriched with country and network (.mmdb files)
// on the way. The parsing lives in lib/logs and lib/collect; this is only where events go.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "casedb/background_writer.h"
#include "core/cli.h"
#include "core/counters.h"
#include "core/event_json.h"
#include "core/record_printer.h"
#include "geoip/geo_enricher.h"
#include "geoip/geoip_database.h"
#include "logs/log_parser.h"

namespace mxir::sinks {

// JSON Lines straight to a FILE* through a large buffer (the fast path of the benchmark).
class JsonlSink final : public logs::EventSink {
 public:
  explicit JsonlSink(std::FILE* out) : out_(out) { buf_.Room(kFlushAt + 4096); }
  ~JsonlSink() override { Flush(); }
  void Emit(Event&& e) override;
  void Flush();

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::FILE* out_;
  EventJsonBuffer buf_;  // the events are written straight into it
};

// table, json or csv through RecordPrinter (buffers for table and json).
class PrinterSink final : public logs::EventSink {
 public:
  PrinterSink(std::ostream& out, OutputFormat format);
  void Emit(Event&& e) override;
  void Finish() { printer_.Finish(); }

 private:
  RecordPrinter printer_;
};

// Stores events in the case (batched, duplicates ignored) on a thread of its own, so parsing
// and storing use two cores; the first error is kept. The case's connection is the writer's
// until Commit() returns.
class CaseSink final : public logs::EventSink {
 public:
  explicit CaseSink(casedb::CaseDb& c) : writer_(c, kBatch) {}
  static constexpr size_t kBatch = 100000;
  void Emit(Event&& e) override { writer_.Add(std::move(e)); }
  // Stores and commits everything emitted so far (for --follow, and before the case is used
  // for anything else) and reports the first error.
  Status Commit() { return writer_.Finish(); }
  // As of the last Commit().
  int64_t inserted() const { return writer_.inserted(); }
  int64_t duplicates() const { return writer_.duplicates(); }

 private:
  casedb::BackgroundEventWriter writer_;
};

// Passes each event to two sinks.
class TeeSink final : public logs::EventSink {
 public:
  TeeSink(logs::EventSink* a, logs::EventSink* b) : a_(a), b_(b) {}
  void Emit(Event&& e) override;

 private:
  logs::EventSink *a_, *b_;
};

// The sinks one run may use, and where its events go: printed (JSON Lines, or a table/CSV/JSON
// printer) when `print`, stored in `db` when given, or both through a tee. Shared by ingest and
// collect, which read the same records into the same places.
struct OutputSinks {
  std::optional<JsonlSink> jsonl;
  std::optional<PrinterSink> printer;
  std::optional<CaseSink> store;
  std::optional<TeeSink> tee;

  // Makes the sinks and returns the one to emit into (nullptr when nothing is printed or stored).
  logs::EventSink* Open(bool print, OutputFormat format, casedb::CaseDb* db);
};

// --geoip FILE / --asn FILE: the country and network of client addresses from .mmdb files the
// user provides, added to events that lack them before they are printed or stored.
struct GeoOptions {
  std::string country_path, asn_path;
  // Adds the two options to a tool's command line.
  void AddTo(Cli& cli);
};

// Adds country/asn (GeoEnricher) to each event, then passes it on.
class GeoSink final : public logs::EventSink {
 public:
  GeoSink(geoip::GeoEnricher& enricher, logs::EventSink* next) : enricher_(enricher), next_(next) {}
  void Emit(Event&& e) override {
    enricher_.Enrich(e);
    next_->Emit(std::move(e));
  }

 private:
  geoip::GeoEnricher& enricher_;
  logs::EventSink* next_;
};

// The opened files and the sink in front of `next`; with neither option, `next` itself.
struct GeoStage {
  std::optional<geoip::GeoIpDatabase> country, asn;
  std::optional<geoip::GeoEnricher> enricher;
  std::optional<GeoSink> sink;

  // Opens the files named (an unreadable or damaged one is an error: exit 2); call it before
  // reading or creating anything.
  Status Open(const GeoOptions& o);
  // The sink to emit into: the enriching one in front of `next`, or `next` without any file.
  logs::EventSink* Wrap(logs::EventSink* next);
  // geoip.countries_added / geoip.asns_added in the run's counters.
  void AddCounters(Counters& c) const;
};

}  // namespace mxir::sinks
