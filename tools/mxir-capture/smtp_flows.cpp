// SmtpFlowFactory: SMTP ports -> SmtpSession.
#include "smtp_flows.h"

#include "smtp/smtp_probe.h"

namespace mxir::tools {

std::unique_ptr<capture::StreamHandler> SmtpFlowFactory::NewFlow(const capture::FlowInfo& flow) {
  if (options_.smtp_ports.count(flow.server_port) == 0) {
    // Another port: SMTP if its content says so (server 220 greeting, client EHLO/HELO).
    if (!options_.detect_by_content) return nullptr;
    capture::FlowInfo f = flow;
    return std::make_unique<smtp::SmtpProbe>(
        [this, f]() {
          ++sessions_;
          return MakeSession(f);
        },
        counters_);
  }
  ++sessions_;
  return MakeSession(flow);
}

std::unique_ptr<capture::StreamHandler> SmtpFlowFactory::MakeSession(
    const capture::FlowInfo& flow) {
  smtp::SessionInfo info;
  info.flow = flow;
  info.source = "pcap";
  if (flow.input >= 0 && static_cast<size_t>(flow.input) < options_.inputs.size()) {
    info.origin.file = options_.inputs[flow.input].name;
    info.origin.sha256 = options_.inputs[flow.input].sha256;
  }
  info.implicit_tls = options_.implicit_tls_ports.count(flow.server_port) > 0;
  return std::make_unique<smtp::SmtpSession>(std::move(info), sink_, fingerprinter_, counters_,
                                             options_.limits);
}

}  // namespace mxir::tools
