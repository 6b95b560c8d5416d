// The hosted-mail formats (reference: ../shared/reference/cloud-logs.md), one file each:
//  entra-signin        entra_signin_parser.cpp   Entra ID sign-ins: Graph JSON / JSON Lines (also
//                      Extractor-Suite's concatenated arrays, Untitled Goose Tool's JSON Lines),
//                      portal CSV and JSON downloads, Azure Monitor records, Sentinel exports
//  m365-audit          m365_audit_parser.cpp     Unified Audit Log: Export-Csv, AuditData JSON
//                      Lines, ConvertTo-Json arrays, Purview CSV, Graph audit query records
//  m365-trace          m365_trace_parser.cpp     message trace CSV (V1, V2, UTF-16LE), JSON
//  google-login        google_login_parser.cpp   Admin SDK Reports API login activities
//  exchange-smtp       exchange_smtp_parser.cpp  Exchange Server SMTP Receive/Send protocol logs
//  exchange-tracking   exchange_tracking_parser.cpp  message tracking logs
//  exchange-httpproxy  exchange_httpproxy_parser.cpp HttpProxy logs (OWA, EAS, EWS, ...)
// The first four read whole documents (DocumentParser); the Exchange logs are line-based
// (LogParser), their columns named by the `#Fields:` header line.
#pragma once

#include <memory>

#include "logs/csv_reader.h"
#include "logs/hosted_common.h"
#include "logs/hosted_fields.h"
#include "logs/hosted_json.h"
#include "logs/log_parser.h"
#include "logs/text_decode.h"

namespace mxir::logs {

std::unique_ptr<DocumentParser> MakeEntraSigninParser();
std::unique_ptr<DocumentParser> MakeM365AuditParser();
std::unique_ptr<DocumentParser> MakeM365TraceParser();
std::unique_ptr<DocumentParser> MakeGoogleLoginParser();

std::unique_ptr<LogParser> MakeExchangeSmtpParser();
std::unique_ptr<LogParser> MakeExchangeTrackingParser();
std::unique_ptr<LogParser> MakeExchangeHttpProxyParser();

// A hosted login as the parsers collect it, and the auth event made from it.
struct HostedLogin {
  std::optional<Timestamp> ts;
  std::string user, id, client_app, user_agent, error_code, reason, country, app;
  std::optional<IpAddress> ip;
  int port = -1;
  std::optional<int64_t> asn;
  std::string outcome;  // when the source says it without a code (UAL operation names)
};
Event MakeHostedLoginEvent(const char* source, const HostedLogin& login);

}  // namespace mxir::logs
