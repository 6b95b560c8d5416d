// google-login: Google Workspace login activities from the Admin SDK Reports API
// (activities.list?applicationName=login; reference §4.1): pages {"kind":
// "admin#reports#activities","items":[...]}, arrays, or JSON Lines of activities; `events` may be
// an array (the API) or one object (some exporters).
//
// Events: `login_success` -> auth success; `login_failure` -> auth failure with
// `login_failure_type` as error_code (login_failure_invalid_password: wrong password;
// ..._invalid_second_factor / ..._missing_second_factor: the password was right, the second
// factor stopped the login); `suspicious_login*` (Google blocked the login) -> auth failure with
// the event name as error_code; `email_forwarding_out_of_domain` -> mailbox_change. Other
// events (logout, login_challenge, password_edit, ...) are counted as
// `skipped.google-login.other_event`. `networkInfo.regionCode` and `ipAsn` give country and
// asn when present.
#include "logs/hosted_parsers.h"
#include "logs/text_scan.h"

namespace mxir::logs {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr const char* kSource = "google-login";

struct Activity {
  std::optional<Timestamp> ts;
  std::string email, id, ip, country;
  std::optional<int64_t> asn;
};

class GoogleLoginParser final : public DocumentParser {
 public:
  const char* name() const override { return kSource; }

  void Parse(std::string_view text, RecordSink& sink) override {
    int64_t n = 0;
    ForEachJsonRecord(text, kSource, sink, [&](object o) {
      sink.SetRecord(++n);
      Activity a;
      element events;
      bool have_events = false;
      for (auto [k, v] : o) {
        if (KeyIs(k, "id")) {
          object id;
          if (v.get_object().get(id)) continue;
          for (auto [ik, iv] : id) {
            if (KeyIs(ik, "time")) {
              a.ts = ParseHostedTime(JsonString(iv));
            } else if (KeyIs(ik, "uniquequalifier")) {
              a.id = JsonScalarText(iv);
            }
          }
        } else if (KeyIs(k, "actor")) {
          object actor;
          if (v.get_object().get(actor)) continue;
          for (auto [ak, av] : actor) {
            if (KeyIs(ak, "email")) a.email.assign(JsonString(av));
          }
        } else if (KeyIs(k, "ipaddress")) {
          a.ip.assign(JsonString(v));
        } else if (KeyIs(k, "networkinfo")) {
          object ni;
          if (v.get_object().get(ni)) continue;
          for (auto [nk, nv] : ni) {
            if (KeyIs(nk, "regioncode") && JsonString(nv).size() == 2) {
              a.country.assign(JsonString(nv));
            } else if (KeyIs(nk, "ipasn")) {
              simdjson::dom::array arr;
              if (!nv.get_array().get(arr)) {
                for (element x : arr) {
                  if (auto asn = JsonInt(x)) {
                    a.asn = *asn;
                    break;
                  }
                }
              } else if (auto asn = JsonInt(nv)) {
                a.asn = *asn;
              }
            }
          }
        } else if (KeyIs(k, "events")) {
          events = v;
          have_events = true;
        }
      }
      if (!a.ts) {
        sink.Count("skipped.google-login.no_time");
        return;
      }
      if (!have_events) {
        sink.Count("skipped.google-login.no_events");
        return;
      }
      simdjson::dom::array arr;
      if (!events.get_array().get(arr)) {
        for (element ev : arr) Event1(a, ev, sink);
      } else {
        Event1(a, events, sink);
      }
    });
  }

 private:
  void Event1(const Activity& a, element ev, RecordSink& sink) {
    object o;
    if (ev.get_object().get(o)) return;
    std::string name, failure_type, affected;
    std::vector<std::pair<std::string, std::string>> params;
    for (auto [k, v] : o) {
      if (KeyIs(k, "name")) {
        name.assign(JsonString(v));
      } else if (KeyIs(k, "parameters")) {
        simdjson::dom::array arr;
        if (v.get_array().get(arr)) continue;
        for (element p : arr) {
          object po;
          if (p.get_object().get(po)) continue;
          std::string pname, pvalue;
          for (auto [pk, pv] : po) {
            if (KeyIs(pk, "name")) {
              pname.assign(JsonString(pv));
            } else if (KeyIs(pk, "value") || KeyIs(pk, "intvalue") || KeyIs(pk, "boolvalue")) {
              pvalue = JsonScalarText(pv);
            } else if (KeyIs(pk, "multivalue")) {
              simdjson::dom::array mv;
              if (pv.get_array().get(mv)) continue;
              for (element x : mv) {
                if (!pvalue.empty()) pvalue += ',';
                pvalue += JsonScalarText(x);
              }
            }
          }
          if (pname == "login_failure_type") failure_type = pvalue;
          if (pname == "affected_email_address") affected = pvalue;
          if (!pname.empty()) params.emplace_back(std::move(pname), std::move(pvalue));
        }
      }
    }
    HostedLogin l;
    l.ts = a.ts;
    l.user = a.email;
    l.id = a.id;
    l.country = a.country;
    l.asn = a.asn;
    ParseClientEndpoint(a.ip, &l.ip, &l.port);
    for (const auto& [k, v] : params) {
      if (k == "login_type") l.client_app = v;
    }
    if (name == "login_success") {
      l.error_code = "login_success";
    } else if (name == "login_failure") {
      l.error_code = failure_type.empty() ? "login_failure_unknown" : failure_type;
    } else if (StartsWith(name, "suspicious_login") || name == "suspicious_programmatic_login") {
      l.error_code = name;
      if (!affected.empty()) l.user = affected;
    } else if (name == "email_forwarding_out_of_domain") {
      Event e;
      e.ts = *a.ts;
      e.source = kSource;
      e.kind = EventKind::kMailboxChange;
      e.user = affected.empty() ? a.email : affected;
      e.actor = a.email;
      e.operation = name;
      e.parameters = std::move(params);
      e.outcome = "success";
      e.client_ip = l.ip;
      sink.Emit(std::move(e));
      return;
    } else {
      sink.Count("skipped.google-login.other_event");
      return;
    }
    if (l.user.empty()) {
      sink.Count("skipped.google-login.no_account");
      return;
    }
    sink.Emit(MakeHostedLoginEvent(kSource, l));
  }
};

}  // namespace

std::unique_ptr<DocumentParser> MakeGoogleLoginParser() {
  return std::make_unique<GoogleLoginParser>();
}

}  // namespace mxir::logs
