// entra-signin: Microsoft Entra ID sign-in records, one `auth` event each.
//
// Shapes (reference §1): Graph `signIn` objects (a page {"value":[...]}, an array, several arrays
// one after another as Microsoft-Extractor-Suite writes them, JSON Lines as Untitled Goose Tool
// writes them); Azure Monitor diagnostic records (the signIn under `properties`, `time`,
// `resultType` as a string, `callerIpAddress`, top-level keys in any case); Sentinel
// `SigninLogs` exports (PascalCase `TimeGenerated`, `ResultType`, `IPAddress`, `LocationDetails`
// and `Status` as objects or as JSON text); the portal's CSV download ("Date (UTC)", "Sign-in
// error code", "Client app", trailing-space and duplicate headers) and Sentinel CSV exports.
// The outcome comes from the error code (core/provider_codes.h): 0 success, 50140 and other
// interrupts unknown, everything else failure; the code itself is kept in `error_code`.
#include <cstring>

#include "logs/hosted_parsers.h"
#include "logs/text_scan.h"

namespace mxir::logs {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr const char* kSource = "entra-signin";

void TakeCountry(std::string_view v, HostedLogin* l) {
  v = Trim(v);
  if (v.size() == 2) l->country.assign(v);
}

void FromLocation(element v, HostedLogin* l) {
  object o;
  if (!v.get_object().get(o)) {
    for (auto [k, x] : o) {
      if (KeyIs(k, "countryorregion")) TakeCountry(JsonString(x), l);
    }
    return;
  }
  std::string_view s = JsonString(v);
  if (s.size() == 2) {
    TakeCountry(s, l);
  } else if (!s.empty() && s.front() == '{') {  // Sentinel: dynamic column as JSON text
    thread_local simdjson::dom::parser p;
    element inner;
    if (!p.parse(s.data(), s.size()).get(inner)) FromLocation(inner, l);
  }
}

void FromStatus(element v, HostedLogin* l) {
  object o;
  if (v.get_object().get(o)) {
    std::string_view s = JsonString(v);
    if (!s.empty() && s.front() == '{') {
      thread_local simdjson::dom::parser p;
      element inner;
      if (!p.parse(s.data(), s.size()).get(inner)) FromStatus(inner, l);
    }
    return;
  }
  for (auto [k, x] : o) {
    if (KeyIs(k, "errorcode")) {
      if (l->error_code.empty()) l->error_code = JsonScalarText(x);
    } else if (KeyIs(k, "failurereason")) {
      if (l->reason.empty()) l->reason.assign(JsonString(x));
    }
  }
}

void FromObject(object o, HostedLogin* l, std::optional<Timestamp>* top_time, int depth) {
  for (auto [key, v] : o) {
    if (key.empty()) continue;
    char c = key[0];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    switch (c) {
      case 'a':
        if (KeyIs(key, "autonomoussystemnumber")) {
          if (auto n = JsonInt(v); n && *n > 0) l->asn = *n;
        } else if (KeyIs(key, "appdisplayname")) {
          l->app.assign(JsonString(v));
        }
        break;
      case 'c':
        if (KeyIs(key, "createddatetime")) {
          if (auto t = ParseHostedTime(JsonString(v))) l->ts = t;
        } else if (KeyIs(key, "clientappused")) {
          l->client_app.assign(JsonString(v));
        } else if (KeyIs(key, "calleripaddress")) {
          if (!l->ip) ParseClientEndpoint(JsonString(v), &l->ip, &l->port);
        }
        break;
      case 'i':
        if (KeyIs(key, "ipaddress")) {
          std::optional<IpAddress> ip;
          int port = -1;
          if (ParseClientEndpoint(JsonString(v), &ip, &port)) {
            l->ip = ip;
            l->port = port;
          }
        } else if (KeyIs(key, "id")) {
          if (l->id.empty()) l->id = JsonScalarText(v);
        }
        break;
      case 'l':
        if (KeyIs(key, "location") || KeyIs(key, "locationdetails")) FromLocation(v, l);
        break;
      case 'o':
        if (KeyIs(key, "originalrequestid") && l->id.empty()) l->id.assign(JsonString(v));
        break;
      case 'p':
        if (KeyIs(key, "properties") && depth == 0) {
          object inner;
          if (!v.get_object().get(inner)) FromObject(inner, l, top_time, depth + 1);
        }
        break;
      case 'r':
        if (KeyIs(key, "resulttype")) {
          if (l->error_code.empty()) l->error_code = JsonScalarText(v);
        } else if (KeyIs(key, "resultdescription")) {
          if (l->reason.empty()) l->reason.assign(JsonString(v));
        }
        break;
      case 's':
        if (KeyIs(key, "status")) FromStatus(v, l);
        break;
      case 't':
        if (KeyIs(key, "time") || KeyIs(key, "timegenerated")) {
          if (auto t = ParseHostedTime(JsonString(v))) *top_time = t;
        }
        break;
      case 'u':
        if (KeyIs(key, "userprincipalname")) {
          l->user.assign(JsonString(v));
        } else if (KeyIs(key, "useragent")) {
          l->user_agent.assign(JsonString(v));
        } else if (KeyIs(key, "username") && l->user.empty()) {
          l->user.assign(JsonString(v));
        }
        break;
      default:
        break;
    }
  }
}

class EntraSigninParser final : public DocumentParser {
 public:
  const char* name() const override { return kSource; }

  void Parse(std::string_view text, RecordSink& sink) override {
    const DocumentShape shape = ShapeOfDocument(text);
    if (shape == DocumentShape::kEmpty) return;
    if (shape == DocumentShape::kJson) {
      ParseJson(text, sink);
    } else {
      ParseCsv(text, sink);
    }
  }

 private:
  void Emit(const HostedLogin& l, RecordSink& sink) {
    if (!l.ts) {
      sink.Count("skipped.entra-signin.no_time");
      return;
    }
    if (l.user.empty() && !l.ip) {
      sink.Count("skipped.entra-signin.not_a_sign_in");
      return;
    }
    sink.Emit(MakeHostedLoginEvent(kSource, l));
  }

  void ParseJson(std::string_view text, RecordSink& sink) {
    int64_t n = 0;
    ForEachJsonRecord(text, kSource, sink, [&](object o) {
      sink.SetRecord(++n);
      HostedLogin l;
      std::optional<Timestamp> top_time;
      FromObject(o, &l, &top_time, 0);
      if (!l.ts) l.ts = top_time;
      Emit(l, sink);
    });
  }

  void ParseCsv(std::string_view text, RecordSink& sink) {
    CsvReader csv(text);
    std::vector<std::string_view> f;
    if (!csv.Next(&f)) return;
    std::vector<std::string> h;
    for (auto x : f) h.push_back(NormalizeHeader(x));
    auto col = [&](std::initializer_list<std::string_view> names) {
      for (auto n : names) {
        int i = ColumnIndex(h, n);
        if (i >= 0) return i;
      }
      // Log Analytics exports name columns "TimeGenerated [UTC]".
      for (auto n : names) {
        for (size_t i = 0; i < h.size(); ++i) {
          if (StartsWith(h[i], n) && h[i].size() > n.size() && h[i][n.size()] == ' ') {
            return static_cast<int>(i);
          }
        }
      }
      return -1;
    };
    const int c_time = col({"date (utc)", "createddatetime", "timegenerated", "time"});
    const int c_id = col({"request id", "id", "originalrequestid"});
    const int c_ua = col({"user agent", "useragent"});
    const int c_user = col({"username", "userprincipalname", "user principal name"});
    const int c_ip = col({"ip address", "ipaddress"});
    const int c_loc = col({"location", "locationdetails"});
    const int c_code = col({"sign-in error code", "resulttype", "errorcode", "status.errorcode"});
    const int c_reason = col({"failure reason", "resultdescription", "failurereason"});
    const int c_app = col({"client app", "clientappused"});
    const int c_asn = col({"autonomous system number", "autonomoussystemnumber"});
    const int c_status = col({"status"});
    if (c_time < 0 || (c_user < 0 && c_ip < 0)) {
      sink.Count("skipped.entra-signin.unknown_csv_header");
      return;
    }
    auto get = [&](int i) -> std::string_view {
      return i >= 0 && static_cast<size_t>(i) < f.size() ? Trim(f[i]) : std::string_view();
    };
    while (csv.Next(&f)) {
      sink.SetRecord(csv.line());
      HostedLogin l;
      l.ts = ParseHostedTime(get(c_time));
      if (!l.ts) l.ts = ParseLocaleTime(get(c_time));
      l.id.assign(get(c_id));
      l.user_agent.assign(get(c_ua));
      l.user.assign(get(c_user));
      ParseClientEndpoint(get(c_ip), &l.ip, &l.port);
      std::string_view loc = get(c_loc);
      if (!loc.empty() && loc.front() == '{') {
        thread_local simdjson::dom::parser p;
        element inner;
        if (!p.parse(loc.data(), loc.size()).get(inner)) FromLocation(inner, &l);
      } else if (size_t comma = loc.rfind(','); comma != std::string_view::npos) {
        TakeCountry(loc.substr(comma + 1), &l);  // "City, State, CC"
      } else {
        TakeCountry(loc, &l);
      }
      l.error_code.assign(get(c_code));
      std::string_view status = get(c_status);
      if (l.error_code.empty() && !status.empty()) {
        if (status.front() == '{') {
          thread_local simdjson::dom::parser p;
          element inner;
          if (!p.parse(status.data(), status.size()).get(inner)) FromStatus(inner, &l);
        } else if (KeyIs(status, "success")) {
          l.error_code = "0";
        }
      }
      if (l.error_code.empty() && KeyIs(status, "failure")) l.outcome = "failure";
      l.reason.assign(get(c_reason));
      l.client_app.assign(get(c_app));
      if (auto n = ParseInt(get(c_asn)); n && *n > 0) l.asn = *n;
      Emit(l, sink);
    }
  }
};

}  // namespace

std::unique_ptr<DocumentParser> MakeEntraSigninParser() {
  return std::make_unique<EntraSigninParser>();
}

}  // namespace mxir::logs
