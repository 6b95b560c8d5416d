// exchange-httpproxy: Exchange Server HttpProxy logs (OWA, ActiveSync, EWS, MAPI, RPC,
// Autodiscover, ECP, PowerShell; reference §5.3) -> one `auth` event per request that carried
// a login: `AuthenticationType` Basic/FBA/NTLM/Negotiate with IsAuthenticated, or a 401/403.
//
// The account is AuthenticatedUser (DOMAIN\user) when the login succeeded; for failures the
// attempted name is taken from the ActiveSync query (`User=DOMAIN%5Cuser`) or AnchorMailbox
// (`SMTP:user@x`) when present. Outcome: IsAuthenticated true and a status below 400 ->
// success; IsAuthenticated false on an OWA forms login (always 302; error_code LogonFailed) or a
// 401 -> failure (error_code the HTTP status); a 403 after IsAuthenticated true is a failure
// whose password was right (access refused afterwards: device or policy). Requests without any
// login signal (anonymous GETs of static files) are understood and carry no event. protocol: owa ->
// webmail, eas -> activesync, ews/mapi/rpchttp/... -> lower-case name.
#include "logs/exchange_log.h"
#include "logs/hosted_parsers.h"

namespace mxir::logs {

namespace {

constexpr const char* kSource = "exchange-httpproxy";

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

class ExchangeHttpProxyParser final : public ExchangeLogParser {
 public:
  const char* name() const override { return kSource; }

 protected:
  bool IsMyLogType(std::string_view type) const override { return KeyIs(type, "httpproxy logs"); }
  bool LooksLikeMyFields(std::string_view f) const override {
    return Contains(f, "AuthenticationType") && Contains(f, "ClientIpAddress");
  }
  void OnFields() override {
    c_time_ = Column("datetime");
    c_request_ = Column("requestid");
    c_protocol_ = Column("protocol");
    c_authtype_ = Column("authenticationtype");
    c_isauth_ = Column("isauthenticated");
    c_user_ = Column("authenticateduser");
    c_anchor_ = Column("anchormailbox");
    c_ua_ = Column("useragent");
    c_ip_ = Column("clientipaddress");
    c_status_ = Column("httpstatus");
    c_query_ = Column("urlquery");
    c_stem_ = Column("urlstem");
  }

  bool Row(EventSink& sink) override {
    auto ts = ParseHostedTime(Get(c_time_));
    if (!ts) return false;
    std::string_view auth_type = Trim(Get(c_authtype_));
    std::string_view is_auth = Trim(Get(c_isauth_));
    auto status = ParseInt(Trim(Get(c_status_)));
    std::string_view proto = Trim(Get(c_protocol_));
    bool fba = KeyIs(auth_type, "fba");
    bool owa_login = KeyIs(proto, "owa") && Contains(Get(c_stem_), "auth");
    bool success = KeyIs(is_auth, "true") && status && *status < 400;
    bool failure = (status && (*status == 401 || *status == 403) && !auth_type.empty()) ||
                   (fba && KeyIs(is_auth, "false") && owa_login);
    if (!success && !failure) return true;
    if (success && auth_type.empty()) return true;
    Event e;
    e.ts = *ts;
    e.source = kSource;
    e.kind = EventKind::kAuth;
    e.session = SharedString(std::string(Get(c_request_)));
    ParseClientEndpoint(Get(c_ip_), &e.client_ip, &e.client_port);
    e.client_port = -1;
    std::string p(proto);
    for (char& c : p) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    e.protocol = p == "owa" ? "webmail" : p == "eas" ? "activesync" : p;
    e.client_app = std::string(proto);
    e.mechanism.assign(auth_type);
    e.user_agent.assign(Get(c_ua_));
    e.user.assign(Trim(Get(c_user_)));
    if (e.user.empty()) {
      std::string query = UrlDecode(Get(c_query_));
      if (auto u = After(query, "User=")) {
        e.user.assign(UpTo(*u, "&"));
      } else if (auto a = After(Get(c_anchor_), "SMTP:")) {
        e.user.assign(Trim(*a));
      }
    }
    e.outcome = success ? "success" : "failure";
    if (!success && fba) {
      e.error_code = "LogonFailed";
      e.reason = "forms login refused";
    } else if (status) {
      e.error_code = std::to_string(*status);
      if (*status == 403 && KeyIs(is_auth, "true")) {
        e.reason = "authenticated, then refused (403)";
      }
    }
    sink.Emit(std::move(e));
    return true;
  }

 private:
  int c_time_ = -1, c_request_ = -1, c_protocol_ = -1, c_authtype_ = -1, c_isauth_ = -1,
      c_user_ = -1, c_anchor_ = -1, c_ua_ = -1, c_ip_ = -1, c_status_ = -1, c_query_ = -1,
      c_stem_ = -1;
};

}  // namespace

std::unique_ptr<LogParser> MakeExchangeHttpProxyParser() {
  return std::make_unique<ExchangeHttpProxyParser>();
}

}  // namespace mxir::logs
