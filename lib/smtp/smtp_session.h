// SmtpSession: the SMTP protocol decoder for one connection — a pure state machine, bytes in,
// Events (spec/events.md) and Zeek smtp.log records out, no I/O.
//
// Fed both directions of a connection in capture order (stream::StreamHandler), it pairs
// commands and replies (also pipelined), decodes AUTH (PLAIN, LOGIN, CRAM-MD5, XOAUTH2; secrets
// only fingerprinted, then wiped), envelopes, DATA/BDAT bodies and their headers, follows STARTTLS
// and implicit TLS (SNI from the ClientHello), and resynchronises after gaps. Hostile or broken
// input never crashes it: everything is bounded by SmtpLimits and counted.
//
// The constructor emits session_start; OnEnd() emits session_end (duration, byte counts, gaps,
// state) after flushing any open transaction. Session output goes to an SmtpSink. One session per
// connection, one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/counters.h"
#include "core/event.h"
#include "core/secret_fingerprint.h"
#include "core/stream_handler.h"
#include "smtp/zeek_record.h"

namespace mxir::smtp {

struct SmtpLimits {
  size_t max_line_bytes = 16 * 1024;       // longer lines are cut and counted
  size_t max_header_bytes = 64 * 1024;     // per message (Zeek: mime max header bytes)
  size_t max_pending_commands = 1000;      // unanswered pipelined commands kept
  int max_invalid_mail_transactions = 25;  // Zeek's SMTP::max_invalid_mail_transactions
  size_t max_addresses = 500;              // Zeek's log container limit (rcptto, to, cc, path)
};

struct SessionInfo {
  stream::FlowInfo flow;
  std::string source = "pcap";
  EventOrigin origin;         // file and sha256; packet and index are set per event
  bool implicit_tls = false;  // port 465: TLS from the first byte
};

class SmtpSink {
 public:
  virtual ~SmtpSink() = default;
  virtual void OnEvent(Event&& event) = 0;
  virtual void OnZeekRecord(ZeekSmtpRecord&& record) = 0;
};

class SmtpSession final : public stream::StreamHandler {
 public:
  // `fingerprinter` may be null (then no secret_fp); `counters` collects decode statistics
  // ("smtp.*"); both must outlive the session.
  SmtpSession(SessionInfo info, SmtpSink* sink, const SecretFingerprinter* fingerprinter,
              Counters* counters, const SmtpLimits& limits = {});
  ~SmtpSession() override;

  void OnData(stream::Direction dir, const uint8_t* data, size_t len, Timestamp ts,
              int64_t packet) override;
  void OnGap(stream::Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) override;
  void OnEnd(stream::EndState state, Timestamp ts, int64_t packet) override;
  size_t memory() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxir::smtp
