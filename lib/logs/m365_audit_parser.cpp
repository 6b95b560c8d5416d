// m365-audit: the Microsoft 365 Unified Audit Log (reference §3).
//
// Shapes: `Search-UnifiedAuditLog | Export-Csv` (RecordType, CreationDate, UserIds, Operations,
// AuditData as JSON text, ...), the Purview portal export (RecordId, CreationDate, RecordType,
// Operation, UserId, AuditData), PowerShell `ConvertTo-Json` of the same objects (AuditData
// nested, CreationDate as "\/Date(ms)\/"), AuditData objects alone as JSON Lines or arrays
// (Management Activity API, Extractor-Suite), and Graph audit log query records (auditData
// nested, createdDateTime). Time is always AuditData.CreationTime (UTC without a zone), never
// the locale-formatted CreationDate (an epoch "\/Date(ms)\/" CreationDate is used only when a
// record has no CreationTime).
//
// Events: UserLoggedIn / UserLoginFailed -> `auth` (ErrorNumber -> error_code, LogonError ->
// reason, the user agent from ExtendedProperties); Exchange cmdlets and mailbox-audit operations
// with parameters (New-/Set-/Remove-/Enable-/Disable-InboxRule, UpdateInboxRules, Set-Mailbox,
// transport rules, permissions, ...) -> `mailbox_change` with every parameter in order. Other
// operations (file access, Teams, ...) are counted as `skipped.m365-audit.other_operation`.
#include "logs/hosted_parsers.h"
#include "logs/text_scan.h"

namespace mxir::logs {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr const char* kSource = "m365-audit";

struct AuditRecord {
  std::optional<Timestamp> ts, fallback_ts;
  std::string operation, user, id, session, result_status, error_number, logon_error;
  std::string user_agent, client_ip_text, mailbox_owner, object_id, workload;
  std::vector<std::pair<std::string, std::string>> parameters;
  bool has_parameters = false;
};

void NameValues(element v, std::vector<std::pair<std::string, std::string>>* out,
                std::string* user_agent) {
  simdjson::dom::array arr;
  if (v.get_array().get(arr)) return;
  for (element item : arr) {
    object o;
    if (item.get_object().get(o)) continue;
    std::string name, value;
    for (auto [k, x] : o) {
      if (KeyIs(k, "name")) {
        name.assign(JsonString(x));
      } else if (KeyIs(k, "value")) {
        value = JsonScalarText(x);
      }
    }
    if (name.empty()) continue;
    if (user_agent != nullptr) {
      if (KeyIs(name, "useragent")) *user_agent = value;
      continue;
    }
    out->emplace_back(std::move(name), std::move(value));
  }
}

void FromAuditData(object o, AuditRecord* r);

void FromAuditDataElement(element v, AuditRecord* r) {
  object o;
  if (!v.get_object().get(o)) {
    FromAuditData(o, r);
    return;
  }
  std::string_view s = JsonString(v);
  if (s.empty()) return;
  thread_local simdjson::dom::parser p;
  element inner;
  if (!p.parse(s.data(), s.size()).get(inner) && !inner.get_object().get(o)) FromAuditData(o, r);
}

void FromAuditData(object o, AuditRecord* r) {
  for (auto [key, v] : o) {
    if (KeyIs(key, "creationtime")) {
      if (auto t = ParseHostedTime(JsonString(v))) r->ts = t;
    } else if (KeyIs(key, "operation")) {
      r->operation.assign(JsonString(v));
    } else if (KeyIs(key, "userid")) {
      r->user.assign(JsonString(v));
    } else if (KeyIs(key, "id")) {
      r->id = JsonScalarText(v);
    } else if (KeyIs(key, "sessionid")) {
      r->session.assign(JsonString(v));
    } else if (KeyIs(key, "resultstatus")) {
      r->result_status.assign(JsonString(v));
    } else if (KeyIs(key, "errornumber")) {
      r->error_number = JsonScalarText(v);
    } else if (KeyIs(key, "logonerror")) {
      r->logon_error.assign(JsonString(v));
    } else if (KeyIs(key, "clientip") || KeyIs(key, "clientipaddress")) {
      if (r->client_ip_text.empty()) r->client_ip_text.assign(JsonString(v));
    } else if (KeyIs(key, "actoripaddress")) {
      if (r->client_ip_text.empty()) r->client_ip_text.assign(JsonString(v));
    } else if (KeyIs(key, "extendedproperties")) {
      NameValues(v, nullptr, &r->user_agent);
    } else if (KeyIs(key, "parameters") || KeyIs(key, "operationproperties")) {
      r->has_parameters = true;
      NameValues(v, &r->parameters, nullptr);
    } else if (KeyIs(key, "mailboxownerupn")) {
      r->mailbox_owner.assign(JsonString(v));
    } else if (KeyIs(key, "objectid")) {
      r->object_id.assign(JsonString(v));
    } else if (KeyIs(key, "workload")) {
      r->workload.assign(JsonString(v));
    } else if (KeyIs(key, "clientinfostring")) {
      if (r->user_agent.empty()) r->user_agent.assign(JsonString(v));
    }
  }
}

// An envelope (Export-Csv as JSON, Graph audit query) or the AuditData object itself.
void FromRecord(object o, AuditRecord* r) {
  bool nested = false;
  for (auto [key, v] : o) {
    if (KeyIs(key, "auditdata")) {
      FromAuditDataElement(v, r);
      nested = true;
    }
  }
  if (!nested) {
    FromAuditData(o, r);
    return;
  }
  // Envelope fields fill only what AuditData lacked.
  for (auto [key, v] : o) {
    if (KeyIs(key, "creationdate") || KeyIs(key, "createddatetime")) {
      std::string_view s = JsonString(v);
      // "\/Date(ms)\/" and ISO times are exact; locale text ("5/29/2023 12:29:35 PM") is not.
      if (auto t = ParseHostedTime(s)) r->fallback_ts = t;
    } else if ((KeyIs(key, "operations") || KeyIs(key, "operation")) && r->operation.empty()) {
      r->operation.assign(JsonString(v));
    } else if ((KeyIs(key, "userids") || KeyIs(key, "userprincipalname") || KeyIs(key, "userid")) &&
               r->user.empty()) {
      r->user.assign(JsonString(v));
    } else if (KeyIs(key, "clientip") && r->client_ip_text.empty()) {
      r->client_ip_text.assign(JsonString(v));
    }
  }
}

bool IsLogin(std::string_view op) {
  return KeyIs(op, "userloggedin") || KeyIs(op, "userloginfailed");
}

std::string ParamValue(const AuditRecord& r, std::string_view lower_name) {
  for (const auto& [k, v] : r.parameters) {
    if (KeyIs(k, lower_name)) return v;
  }
  return {};
}

class M365AuditParser final : public DocumentParser {
 public:
  const char* name() const override { return kSource; }

  void Parse(std::string_view text, RecordSink& sink) override {
    const DocumentShape shape = ShapeOfDocument(text);
    if (shape == DocumentShape::kEmpty) return;
    if (shape == DocumentShape::kJson) {
      int64_t n = 0;
      ForEachJsonRecord(text, kSource, sink, [&](object o) {
        sink.SetRecord(++n);
        AuditRecord r;
        FromRecord(o, &r);
        Emit(r, sink);
      });
    } else {
      ParseCsv(text, sink);
    }
  }

 private:
  void ParseCsv(std::string_view text, RecordSink& sink) {
    CsvReader csv(text);
    std::vector<std::string_view> f;
    if (!csv.Next(&f)) return;
    std::vector<std::string> h;
    for (auto x : f) h.push_back(NormalizeHeader(x));
    const int c_data = ColumnIndex(h, "auditdata");
    int c_op = ColumnIndex(h, "operations");
    if (c_op < 0) c_op = ColumnIndex(h, "operation");
    int c_user = ColumnIndex(h, "userids");
    if (c_user < 0) c_user = ColumnIndex(h, "userid");
    const int c_date = ColumnIndex(h, "creationdate");
    if (c_data < 0) {
      sink.Count("skipped.m365-audit.unknown_csv_header");
      return;
    }
    auto get = [&](int i) -> std::string_view {
      return i >= 0 && static_cast<size_t>(i) < f.size() ? Trim(f[i]) : std::string_view();
    };
    thread_local simdjson::dom::parser parser;
    while (csv.Next(&f)) {
      sink.SetRecord(csv.line());
      AuditRecord r;
      std::string_view data = get(c_data);
      element doc;
      object o;
      if (data.empty() || parser.parse(data.data(), data.size()).get(doc) ||
          doc.get_object().get(o)) {
        sink.Count("skipped.m365-audit.bad_auditdata");
        continue;
      }
      FromAuditData(o, &r);
      if (r.operation.empty()) r.operation.assign(get(c_op));
      if (r.user.empty()) r.user.assign(get(c_user));
      // Purview writes ISO CreationDate ("2026-01-24T06:54:24.0000000Z "); Export-Csv writes
      // locale text, never used.
      if (auto t = ParseHostedTime(get(c_date))) r.fallback_ts = t;
      Emit(r, sink);
    }
  }

  void Emit(AuditRecord& r, RecordSink& sink) {
    if (!r.ts) r.ts = r.fallback_ts;
    if (!r.ts) {
      sink.Count("skipped.m365-audit.no_time");
      return;
    }
    std::optional<IpAddress> ip;
    int port = -1;
    ParseClientEndpoint(r.client_ip_text, &ip, &port);
    if (IsLogin(r.operation)) {
      HostedLogin l;
      l.ts = r.ts;
      l.user = r.user;
      l.id = r.id;
      l.user_agent = r.user_agent;
      l.error_code = r.error_number;
      l.reason = r.logon_error;
      l.ip = ip;
      l.port = port;
      l.outcome = KeyIs(r.operation, "userloggedin") ? "success" : "failure";
      sink.Emit(MakeHostedLoginEvent(kSource, l));
      return;
    }
    if (!r.has_parameters) {
      sink.Count("skipped.m365-audit.other_operation");
      return;
    }
    Event e;
    e.ts = *r.ts;
    e.source = kSource;
    e.kind = EventKind::kMailboxChange;
    e.session = r.session;
    e.client_ip = ip;
    e.client_port = port;
    e.actor = r.user;
    e.operation = r.operation;
    e.user_agent = r.user_agent;
    // Whose mailbox: the cmdlet's -Mailbox, Set-Mailbox's -Identity when it is an address, the
    // mailbox owner of mailbox-audit records, else the actor's own.
    std::string mailbox = ParamValue(r, "mailbox");
    if (mailbox.empty() && KeyIs(r.operation, "set-mailbox")) {
      std::string id = ParamValue(r, "identity");
      if (id.find('@') != std::string::npos) mailbox = id;
    }
    if (mailbox.empty()) mailbox = r.mailbox_owner;
    e.user = mailbox.empty() ? r.user : mailbox;
    e.parameters = std::move(r.parameters);
    if (KeyIs(r.result_status, "true") || KeyIs(r.result_status, "succeeded") ||
        KeyIs(r.result_status, "success")) {
      e.outcome = "success";
    } else if (KeyIs(r.result_status, "false") || KeyIs(r.result_status, "failed")) {
      e.outcome = "failure";
    } else if (!r.result_status.empty()) {
      e.outcome = "unknown";
    }
    sink.Emit(std::move(e));
  }
};

}  // namespace

std::unique_ptr<DocumentParser> MakeM365AuditParser() {
  return std::make_unique<M365AuditParser>();
}

}  // namespace mxir::logs
