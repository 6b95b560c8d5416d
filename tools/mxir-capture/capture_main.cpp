// mxir capture — SMTP sessions from pcap/pcapng files or a live interface, as Events, a Zeek
// smtp.log, a per-host summary, or into the case.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture_run.h"
#include "capture/live_source.h"
#include "capture/packet_source.h"
#include "capture/prefetch_source.h"
#include "capture_case.h"
#include "capture_sinks.h"
#include "casedb/case_db.h"
#include "core/cli.h"
#include "core/clock.h"
#include "core/process_info.h"
#include "core/progress.h"
#include "smtp_flows.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

constexpr char kDescription[] =
    "Rebuilds the SMTP sessions in captured traffic: who connected, which account logged in\n"
    "(AUTH successes and failures, never the password), what was sent to whom, where STARTTLS\n"
    "hid the rest. Reads pcap and pcapng files (several are merged in time order) or captures\n"
    "live from an interface. SMTP is recognised on ports 25, 465 (implicit TLS), 587 and 2525,\n"
    "plus any --smtp-port, and on any other TCP port by its content (the server's 220 greeting\n"
    "and the client's EHLO/HELO, like Zeek's protocol detection). Files are searched on every\n"
    "port. A live capture takes only the SMTP ports above (and each --smtp-port) from the\n"
    "interface, so that a busy server's other traffic (IMAP, web, backups) costs nothing and is\n"
    "not kept by --write; SMTP on another port is then not seen: name the port with --smtp-port,\n"
    "or give --any-port to take every TCP connection and recognise SMTP by its content. Lost\n"
    "packets become `gap` events, never invented text.\n\n"
    "Output (--format): `table` (default on a terminal) — one row per client host and account\n"
    "with sessions, AUTH ok/failed, messages and recipients: the first view of who is hammering\n"
    "the server; `jsonl` (default in a pipe) — one Event per line (spec/events.md); `zeek` — a\n"
    "smtp.log in Zeek's format. With --case the events are stored in the case (and nothing is\n"
    "printed unless --format is given); reading the same file again adds nothing twice.";

constexpr char kEpilog[] =
    "\nExamples:\n"
    "  mxir capture --read mail.pcap                       summary table per host and account\n"
    "  mxir capture --read a.pcap --read b.pcapng --format jsonl > events.jsonl\n"
    "  mxir capture --read mail.pcap --format zeek > smtp.log\n"
    "  mxir capture --read mail.pcap --case acme.case --create\n"
    "  sudo mxir capture --interface eth0 --duration 600 --write evidence.pcap --case acme.case\n"
    "       (stop early with Ctrl-C: everything seen so far is flushed and stored)\n"
    "  sudo mxir capture --interface eth0 --any-port --duration 600 --case acme.case\n"
    "       (SMTP on every port, e.g. a submission service someone moved to 8025)\n\n"
    "Exit status 2 also means: a missing, empty or damaged capture file (a file that breaks off\n"
    "is read up to the break first, then reported), or an interface that cannot be opened.\n"
    "Counters (packets, flows, SMTP sessions, gaps, decode errors by reason, kernel drops) go\n"
    "to stderr at the end; --stats json prints them as JSON.\n";

}  // namespace

int mxir_capture_main(int argc, char** argv) {
  // Decoded AUTH secrets pass through memory: no core file may keep them.
  mxir::DisableCoreDumps();
  using mxir::Cli;
  namespace po = mxir::po;
  Cli cli("capture", "SMTP sessions from packets",
          "(--read FILE... | --interface IFACE [--any-port] [--duration S] [--write FILE.pcap]) "
          "[--format table|jsonl|zeek] [--case FILE [--create]]",
          kDescription);
  std::vector<std::string> files;
  std::vector<int> extra_ports, tls_ports;
  std::string iface, filter, write_path, format_text, fp_key;
  double duration = 0, idle_timeout = 300;
  int max_invalid = mxir::smtp::SmtpLimits().max_invalid_mail_transactions;
  size_t memory_mb = 256;
  cli.options().add_options()("read,r", po::value(&files)->value_name("FILE"),
                              "a pcap or pcapng file (repeatable)")(
      "interface,i", po::value(&iface)->value_name("IFACE"), "capture live from IFACE (e.g. eth0)")(
      "filter", po::value(&filter)->value_name("BPF"),
      "BPF filter, for files too (live default: the SMTP ports 25, 465, 587, 2525 and each "
      "--smtp-port)")("any-port",
                      "live: take every TCP connection (filter `tcp`) and recognise SMTP by its "
                      "content on any port; more CPU and memory on a busy server, and --write "
                      "keeps all of it")("duration", po::value(&duration)->value_name("SECONDS"),
                                         "live: stop after SECONDS")(
      "write,w", po::value(&write_path)->value_name("FILE.pcap"),
      "live: also keep the packets in FILE.pcap (mode 0600) as evidence")(
      "format", po::value(&format_text)->value_name("table|jsonl|zeek"), "what to print")(
      "fp-key", po::value(&fp_key)->value_name("FILE"),
      "key file for secret fingerprints (default: the case's key, else your per-user key)")(
      "smtp-port", po::value(&extra_ports)->value_name("PORT"), "also SMTP on PORT (repeatable)")(
      "implicit-tls-port", po::value(&tls_ports)->value_name("PORT"),
      "SMTP with TLS from the first byte on PORT, like 465 (repeatable)")(
      "max-invalid-transactions", po::value(&max_invalid)->value_name("N"),
      "stop decoding a session after N out-of-order MAIL/RCPT/DATA (Zeek's limit; default 25)")(
      "idle-timeout", po::value(&idle_timeout)->value_name("SECONDS"),
      "end connections idle this long (default 300)")(
      "memory-mb", po::value(&memory_mb)->value_name("MB"),
      "budget for connection state; connections beyond it end as truncated (default 256)");
  cli.AddPositional("read", -1);
  cli.AddCase(/*allow_create=*/true);
  cli.AddStats();
  cli.AddEpilog(kEpilog);
  if (auto rc = cli.Parse(argc, argv)) return *rc;

  bool live = !iface.empty();
  if (live == !files.empty()) return cli.UsageError("give either --read FILE or --interface IFACE");
  if (!live && (cli.Has("duration") || cli.Has("write") || cli.Has("any-port"))) {
    return cli.UsageError(
        "--duration, --write and --any-port are for live capture (--interface); files are "
        "searched for SMTP on every port");
  }
  if (cli.Has("any-port") && cli.Has("filter")) {
    return cli.UsageError(
        "give --any-port or --filter, not both (--any-port is --filter tcp; to narrow it, give "
        "a --filter that keeps the ports or hosts you want)");
  }
  if (duration < 0 || idle_timeout <= 0 || memory_mb == 0 || max_invalid < 1) {
    return cli.UsageError(
        "--duration, --idle-timeout, --memory-mb and "
        "--max-invalid-transactions take positive values");
  }
  bool to_case = !cli.common.case_path.empty();
  mxir::tools::CaptureFormat format = mxir::tools::CaptureFormat::kNone;
  if (format_text == "jsonl") {
    format = mxir::tools::CaptureFormat::kJsonl;
  } else if (format_text == "zeek") {
    format = mxir::tools::CaptureFormat::kZeek;
  } else if (format_text == "table") {
    format = mxir::tools::CaptureFormat::kTable;
  } else if (!format_text.empty()) {
    return cli.UsageError("--format takes table, jsonl or zeek, not '" + format_text + "'");
  } else if (!to_case) {
    format = isatty(STDOUT_FILENO) ? mxir::tools::CaptureFormat::kTable
                                   : mxir::tools::CaptureFormat::kJsonl;
  }

  std::optional<mxir::casedb::CaseDb> db;
  if (to_case) {
    auto opened = mxir::casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "capture");
    if (!opened.ok()) return cli.Fail(opened.error());
    db.emplace(std::move(*opened));
  }
  std::string key_warning;
  auto fingerprinter = !fp_key.empty() ? mxir::SecretFingerprinter::FromKeyFile(fp_key)
                       : db            ? db->Fingerprinter()
                                       : mxir::SecretFingerprinter::ForThisUser(&key_warning);
  if (!key_warning.empty()) cli.Warn(key_warning);
  if (!fingerprinter.ok()) return cli.Fail(fingerprinter.error());

  for (int p : extra_ports) {
    if (p < 1 || p > 65535)
      return cli.UsageError("--smtp-port " + std::to_string(p) + " is not a TCP port (1-65535)");
  }
  for (int p : tls_ports) {
    if (p < 1 || p > 65535) {
      return cli.UsageError("--implicit-tls-port " + std::to_string(p) +
                            " is not a TCP port (1-65535)");
    }
  }
  mxir::tools::SmtpFlowOptions flow_options;
  for (int p : extra_ports) flow_options.smtp_ports.insert(static_cast<uint16_t>(p));
  for (int p : tls_ports) {
    flow_options.smtp_ports.insert(static_cast<uint16_t>(p));
    flow_options.implicit_tls_ports.insert(static_cast<uint16_t>(p));
  }
  flow_options.limits.max_invalid_mail_transactions = max_invalid;
  std::unique_ptr<mxir::capture::PacketSource> source;
  std::optional<mxir::tools::InputHashes> hashes;  // of the files, on a second thread
  std::unique_ptr<mxir::capture::PcapWriter> writer;
  uint64_t total_bytes = 0;
  if (live) {
    mxir::capture::LiveOptions lo;
    lo.interface = iface;
    // What the interface gives us decides what can be found: say it before the wait begins.
    const mxir::capture::LiveFilter taken = mxir::capture::ChooseLiveFilter(
        cli.Has("filter") ? filter : "", cli.Has("any-port"), flow_options.smtp_ports);
    lo.filter = taken.bpf;
    lo.duration_us = static_cast<int64_t>(duration * 1e6);
    lo.stop = &g_stop;
    auto opened = mxir::capture::OpenLive(lo);
    if (!opened.ok()) return cli.Fail(opened.error());
    source = std::move(*opened);
    std::cerr << "mxir capture: capturing on " << iface << ": " << taken.description << "\n";
    flow_options.inputs.push_back({"iface:" + iface, ""});
  } else {
    auto opened = mxir::capture::OpenPcapFiles(files, filter);
    if (!opened.ok()) return cli.Fail(opened.error());
    // libpcap reads the files on a second thread while this one decodes and parses.
    source = std::make_unique<mxir::capture::PrefetchSource>(std::move(*opened));
    for (const auto& f : files) {
      flow_options.inputs.push_back({f, ""});  // the hash is filled in by InputHashes
      struct stat st;
      if (stat(f.c_str(), &st) == 0) total_bytes += static_cast<uint64_t>(st.st_size);
    }
    // Only JSON Lines and the case show an event's origin.sha256: hash only for them.
    if (format == mxir::tools::CaptureFormat::kJsonl || to_case) hashes.emplace(files);
  }

  std::optional<mxir::casedb::EventWriter> store;
  if (db) store.emplace(*db);
  mxir::Counters counters, smtp_counters;  // capture's first, then the decoder's ("smtp.*")
  mxir::tools::CaptureSink sink(stdout, format, store ? &*store : nullptr,
                                mxir::DefaultClock().Now(), hashes ? &*hashes : nullptr);
  mxir::tools::SmtpFlowFactory factory(flow_options, &sink, &*fingerprinter, &smtp_counters);
  mxir::capture::CaptureOptions options;
  for (uint16_t p : flow_options.smtp_ports) options.flows.server_ports.push_back(p);
  options.flows.idle_timeout_us = static_cast<int64_t>(idle_timeout * 1e6);
  options.flows.memory_budget_bytes = memory_mb << 20;
  options.stop = &g_stop;
  mxir::Progress progress(live ? "capturing" : "reading", total_bytes, "B");
  if (progress.enabled()) options.progress = [&](uint64_t done) { progress.Update(done); };
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::vector<std::string> warnings;
  mxir::Status run;
  {
    if (live && !write_path.empty()) {
      auto w = mxir::capture::PcapWriter::Create(write_path, source->link_type());
      if (!w.ok()) return cli.Fail(w.error());
      writer = std::move(*w);
      options.writer = writer.get();
    }
    run = mxir::capture::RunCapture(*source, &factory, options, &counters, &warnings);
  }
  progress.Finish(source->bytes_read());
  mxir::Status finish = sink.Finish(mxir::DefaultClock().Now());
  if (writer) {
    if (auto s = writer->Close(); !s.ok() && finish.ok()) finish = s;
  }
  counters.Add("smtp_sessions", factory.sessions());
  counters.Add("events", sink.events());
  counters.Merge(smtp_counters);
  if (store) {
    counters.Add("case.inserted", store->inserted());
    counters.Add("case.duplicates", store->duplicates());
    mxir::tools::CaptureRun facts;
    facts.live = live;
    facts.iface = iface;
    facts.files = files;
    facts.inputs = &flow_options.inputs;
    facts.hashes = hashes ? &*hashes : nullptr;
    facts.sink = &sink;
    facts.store = &*store;
    facts.packets = static_cast<int64_t>(counters.Get("packets"));
    facts.smtp_sessions = static_cast<int64_t>(factory.sessions());
    facts.ok = run.ok() && finish.ok();
    if (auto s = mxir::tools::RecordCaptureInCase(*db, facts); !s.ok() && finish.ok()) finish = s;
  }
  for (const auto& w : warnings) cli.Warn(w);
  if (cli.common.stats_json) {
    std::cerr << counters.ToJson() << "\n";
  } else {
    std::cerr << "mxir capture: " << counters.Summary() << "\n";
  }
  if (!run.ok()) return cli.Fail(run);
  if (!finish.ok()) return cli.Fail(finish);
  return warnings.empty() ? mxir::kExitOk : mxir::kExitUsage;
}
