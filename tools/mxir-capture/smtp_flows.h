// SmtpFlowFactory: the glue of mxir capture — each TCP connection to an SMTP port becomes an
// smtp::SmtpSession fed by lib/capture's reassembler; connections to other ports become SMTP
// sessions when their content is SMTP (a 220 greeting, then EHLO/HELO: smtp/smtp_probe.h), and
// are otherwise only counted. Sessions on implicit-TLS ports (465 by default) are marked so the
// decoder expects TLS from the first byte. Events carry the input file's name and sha256 as origin.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capture/stream_handler.h"
#include "core/counters.h"
#include "core/secret_fingerprint.h"
#include "smtp/smtp_session.h"

namespace mxir::tools {

struct CaptureInput {
  std::string name;    // file path as given, or "iface:NAME"
  std::string sha256;  // of the file; empty for a live interface
};

struct SmtpFlowOptions {
  std::set<uint16_t> smtp_ports = {25, 465, 587, 2525};
  std::set<uint16_t> implicit_tls_ports = {465};
  smtp::SmtpLimits limits;
  std::vector<CaptureInput> inputs;  // by FlowInfo::input
  // Connections to other ports are SMTP when their content says so (smtp/smtp_probe.h).
  bool detect_by_content = true;
};

class SmtpFlowFactory final : public capture::StreamHandlerFactory {
 public:
  // `sink`, `fingerprinter` (may be null) and `counters` must outlive the factory's sessions.
  SmtpFlowFactory(SmtpFlowOptions options, smtp::SmtpSink* sink,
                  const SecretFingerprinter* fingerprinter, Counters* counters)
      : options_(std::move(options)),
        sink_(sink),
        fingerprinter_(fingerprinter),
        counters_(counters) {}

  std::unique_ptr<capture::StreamHandler> NewFlow(const capture::FlowInfo& flow) override;
  int64_t sessions() const { return sessions_; }

 private:
  std::unique_ptr<capture::StreamHandler> MakeSession(const capture::FlowInfo& flow);
  SmtpFlowOptions options_;
  smtp::SmtpSink* sink_;
  const SecretFingerprinter* fingerprinter_;
  Counters* counters_;
  int64_t sessions_ = 0;
};

}  // namespace mxir::tools
