// The registry of the document formats (hosted-mail exports read as a whole).
#include "core/provider_codes.h"
#include "logs/hosted_common.h"
#include "logs/hosted_parsers.h"

namespace mxir::logs {

std::vector<std::string> DocumentFormatNames() {
  return {"entra-signin", "m365-audit", "m365-trace", "google-login"};
}

std::unique_ptr<DocumentParser> MakeDocumentParser(std::string_view name) {
  if (name == "entra-signin") return MakeEntraSigninParser();
  if (name == "m365-audit") return MakeM365AuditParser();
  if (name == "m365-trace") return MakeM365TraceParser();
  if (name == "google-login") return MakeGoogleLoginParser();
  return nullptr;
}

Event MakeHostedLoginEvent(const char* source, const HostedLogin& l) {
  Event e;
  if (l.ts) e.ts = *l.ts;
  e.source = source;
  e.kind = EventKind::kAuth;
  e.protocol = ProtocolForClientApp(l.client_app);
  e.session = l.id;
  e.client_ip = l.ip;
  e.client_port = l.port;
  e.user = l.user;
  e.client_app = l.client_app;
  e.user_agent = l.user_agent;
  e.error_code = l.error_code;
  e.reason = l.reason;
  e.country = l.country;
  e.asn = l.asn;
  LoginResult r = ClassifyLoginCode(source, l.error_code);
  e.outcome = r == LoginResult::kNone && !l.outcome.empty() ? l.outcome : LoginOutcome(r);
  return e;
}

}  // namespace mxir::logs
