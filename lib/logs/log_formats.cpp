// The registry of log formats: names in the order --log-format auto tries them.
#include "logs/dovecot_parser.h"
#include "logs/exim_parser.h"
#include "logs/hosted_parsers.h"
#include "logs/log_parser.h"
#include "logs/login_parsers.h"
#include "logs/nginx_mail_parser.h"
#include "logs/opensmtpd_parser.h"
#include "logs/postfix_parser.h"
#include "logs/sendmail_parser.h"
#include "logs/zimbra_parser.h"

namespace mxir::logs {

std::vector<std::string> LogFormatNames() {
  std::vector<std::string> names = {"postfix",   "dovecot", "exim", "sendmail",
                                    "opensmtpd", "zimbra",  "nginx"};
  for (auto& n : LoginParserNames()) names.push_back(std::move(n));
  // Exchange Server's CSV logs (line-based; the hosted-mail exports read as whole documents are
  // in DocumentFormatNames()).
  for (const char* n : {"exchange-smtp", "exchange-tracking", "exchange-httpproxy"}) {
    names.emplace_back(n);
  }
  return names;
}

std::unique_ptr<LogParser> MakeLogParser(std::string_view name,
                                         const SecretFingerprinter* fingerprinter) {
  if (name == "postfix") return std::make_unique<PostfixParser>();
  if (name == "dovecot") return std::make_unique<DovecotParser>(fingerprinter);
  if (name == "exim") return std::make_unique<EximParser>();
  if (name == "sendmail") return std::make_unique<SendmailParser>();
  if (name == "exchange-smtp") return MakeExchangeSmtpParser();
  if (name == "exchange-tracking") return MakeExchangeTrackingParser();
  if (name == "exchange-httpproxy") return MakeExchangeHttpProxyParser();
  if (name == "opensmtpd") return std::make_unique<OpenSmtpdParser>();
  if (name == "zimbra") return std::make_unique<ZimbraParser>();
  if (name == "nginx") return std::make_unique<NginxMailParser>();
  return MakeLoginParser(name);
}

}  // namespace mxir::logs
