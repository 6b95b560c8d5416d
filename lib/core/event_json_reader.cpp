// EventReader: one Event from a JSON Lines record (spec/events.md), parsed with simdjson; each
// member by name (EventMember), so a record's unknown members are skipped, a wrong type is an
// error that names the member. The writer is event_json.cpp.
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include <simdjson.h>

#include "core/event_json.h"

namespace mxir {

struct EventReader::Impl {
  simdjson::dom::parser parser;
  std::string buffer;
  SharedString last_file, last_sha, last_session;  // see GetShared
};

EventReader::EventReader() : impl_(std::make_unique<Impl>()) {}
EventReader::~EventReader() = default;

namespace {

using simdjson::dom::element;

Status FieldError(std::string_view key, const char* want) {
  return MakeError(ErrorCode::kInvalidInput, "field '" + std::string(key) + "' must be " + want);
}

Status GetString(element v, std::string_view key, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s)) return FieldError(key, "a string");
  out->assign(s);
  return Status::Ok();
}

Status GetInt(element v, std::string_view key, int64_t* out) {
  if (v.get_int64().get(*out)) return FieldError(key, "an integer");
  return Status::Ok();
}

template <typename T>
Status GetOptInt(element v, std::string_view key, std::optional<T>* out) {
  int64_t x = 0;
  MXIR_RETURN_IF_ERROR(GetInt(v, key, &x));
  *out = static_cast<T>(x);
  return Status::Ok();
}

Status GetBool(element v, std::string_view key, std::optional<bool>* out) {
  bool b;
  if (v.get_bool().get(b)) return FieldError(key, "true or false");
  *out = b;
  return Status::Ok();
}

Status GetStrings(element v, std::string_view key, std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (v.get_array().get(arr)) return FieldError(key, "an array of strings");
  for (element elem : arr) {
    std::string_view s;
    if (elem.get_string().get(s)) return FieldError(key, "an array of strings");
    out->emplace_back(s);
  }
  return Status::Ok();
}

// The provider's code: a string, or a whole number (JSON written by other tools).
Status GetCodeText(element v, std::string_view key, std::string* out) {
  std::string_view s;
  if (!v.get_string().get(s)) {
    out->assign(s);
    return Status::Ok();
  }
  int64_t x;
  if (!v.get_int64().get(x)) {
    *out = std::to_string(x);
    return Status::Ok();
  }
  return FieldError(key, "a string or an integer");
}

// An AS number: an integer, or a string "AS3598" / "3598".
Status GetAsn(element v, std::string_view key, std::optional<int64_t>* out) {
  int64_t x;
  if (!v.get_int64().get(x)) {
    if (x < 0 || x > 4294967295LL) return FieldError(key, "an AS number (0-4294967295)");
    *out = x;
    return Status::Ok();
  }
  std::string_view s;
  if (v.get_string().get(s)) return FieldError(key, "an AS number");
  if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
    s.remove_prefix(2);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || x < 0 || x > 4294967295LL) {
    return FieldError(key, "an AS number");
  }
  *out = x;
  return Status::Ok();
}

// An object of named values; strings are taken as they are, other scalars as their JSON text.
Status GetPairs(element v, std::string_view key,
                std::vector<std::pair<std::string, std::string>>* out) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj)) return FieldError(key, "an object");
  for (auto [name, value] : obj) {
    std::string_view s;
    if (!value.get_string().get(s)) {
      out->emplace_back(std::string(name), std::string(s));
    } else if (value.is_array() || value.is_object()) {
      return FieldError(key, "an object of strings, numbers or booleans");
    } else {
      out->emplace_back(std::string(name), simdjson::minify(value));
    }
  }
  return Status::Ok();
}

Status GetIp(element v, std::string_view key, std::optional<IpAddress>* out) {
  std::string_view s;
  if (v.get_string().get(s)) return FieldError(key, "a string");
  auto ip = IpAddress::Parse(s);
  if (!ip) return FieldError(key, "an IP address");
  *out = *ip;
  return Status::Ok();
}

Status GetPort(element v, std::string_view key, int* out) {
  int64_t x = 0;
  MXIR_RETURN_IF_ERROR(GetInt(v, key, &x));
  if (x < 0 || x > 65535) return FieldError(key, "a port number (0-65535)");
  *out = static_cast<int>(x);
  return Status::Ok();
}

// Events of one file repeat its name and hash: the last value read is shared, not copied.
Status GetShared(element v, std::string_view key, SharedString* out, SharedString* last) {
  std::string_view s;
  if (v.get_string().get(s)) return FieldError(key, "a string");
  if (s != std::string_view(*last)) *last = SharedString(s);
  *out = *last;
  return Status::Ok();
}

Status ParseOrigin(element v, EventOrigin* o, SharedString* last_file, SharedString* last_sha) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj)) return FieldError("origin", "an object");
  for (auto [key, fv] : obj) {
    if (key == "file") {
      MXIR_RETURN_IF_ERROR(GetShared(fv, "origin.file", &o->file, last_file));
    } else if (key == "sha256") {
      MXIR_RETURN_IF_ERROR(GetShared(fv, "origin.sha256", &o->sha256, last_sha));
    } else if (key == "line") {
      MXIR_RETURN_IF_ERROR(GetInt(fv, "origin.line", &o->line));
    } else if (key == "packet") {
      MXIR_RETURN_IF_ERROR(GetInt(fv, "origin.packet", &o->packet));
    } else if (key == "index") {
      int64_t x;
      MXIR_RETURN_IF_ERROR(GetInt(fv, "origin.index", &x));
      if (x < 0 || x > 1000000) return FieldError("origin.index", "a small non-negative integer");
      o->index = static_cast<int>(x);
    }
  }
  return Status::Ok();
}

Status ParseField(std::string_view key, element v, Event* e, bool* have_ts, bool* have_kind,
                  SharedString* last_file, SharedString* last_sha, SharedString* last_session) {
  switch (key.empty() ? '\0' : key[0]) {
    case 'a':
      if (key == "accepted") return GetBool(v, key, &e->accepted);
      if (key == "actor") return GetString(v, key, &e->actor);
      if (key == "asn") return GetAsn(v, key, &e->asn);
      break;
    case 'b':
      if (key == "bytes_c2s") return GetOptInt(v, key, &e->bytes_c2s);
      if (key == "bytes_s2c") return GetOptInt(v, key, &e->bytes_s2c);
      if (key == "bytes") return GetOptInt(v, key, &e->bytes);
      break;
    case 'c':
      if (key == "client_ip") return GetIp(v, key, &e->client_ip);
      if (key == "client_port") return GetPort(v, key, &e->client_port);
      if (key == "code") return GetOptInt(v, key, &e->code);
      if (key == "cc") return GetStrings(v, key, &e->cc);
      if (key == "command") return GetString(v, key, &e->command);
      if (key == "client_app") return GetString(v, key, &e->client_app);
      if (key == "country") return GetString(v, key, &e->country);
      if (key == "continued") return GetBool(v, key, &e->continued);
      break;
    case 'd':
      if (key == "duration_s") {
        double d;
        if (v.get_double().get(d)) return FieldError(key, "a number");
        e->duration_s = d;
      } else if (key == "direction") {
        return GetString(v, key, &e->direction);
      } else if (key == "date") {
        return GetString(v, key, &e->date);
      }
      break;
    case 'e':
      if (key == "esmtp") return GetBool(v, key, &e->esmtp);
      if (key == "enhanced") return GetString(v, key, &e->enhanced);
      if (key == "error_code") return GetCodeText(v, key, &e->error_code);
      break;
    case 'g':
      if (key == "gaps") return GetOptInt(v, key, &e->gaps);
      break;
    case 'h':
      if (key == "helo") return GetString(v, key, &e->helo);
      if (key == "how") return GetString(v, key, &e->how);
      if (key == "header_from") return GetString(v, key, &e->header_from);
      break;
    case 'i':
      if (key == "in_reply_to") return GetString(v, key, &e->in_reply_to);
      break;
    case 'k':
      if (key == "kind") {
        std::string_view s;
        if (v.get_string().get(s)) return FieldError(key, "a string");
        auto kind = ParseEventKind(s);
        if (!kind) {
          return MakeError(ErrorCode::kInvalidInput, "unknown event kind '" + std::string(s) + "'");
        }
        e->kind = *kind;
        *have_kind = true;
      }
      break;
    case 'm':
      if (key == "mechanism") return GetString(v, key, &e->mechanism);
      if (key == "mail_from") return GetString(v, key, &e->mail_from);
      if (key == "msg_id") return GetString(v, key, &e->msg_id);
      break;
    case 'o':
      if (key == "outcome") return GetString(v, key, &e->outcome);
      if (key == "origin") return ParseOrigin(v, &e->origin, last_file, last_sha);
      if (key == "operation") return GetString(v, key, &e->operation);
      break;
    case 'p':
      if (key == "protocol") return GetString(v, key, &e->protocol);
      if (key == "parameters") return GetPairs(v, key, &e->parameters);
      break;
    case 'q':
      if (key == "queue_id") return GetString(v, key, &e->queue_id);
      break;
    case 'r':
      if (key == "rcpt_to") return GetString(v, key, &e->rcpt_to);
      if (key == "recipients") return GetStrings(v, key, &e->recipients);
      if (key == "received") return GetStrings(v, key, &e->received);
      if (key == "relay") return GetString(v, key, &e->relay);
      if (key == "reason") return GetString(v, key, &e->reason);
      if (key == "reply_to") return GetString(v, key, &e->reply_to);
      break;
    case 's':
      if (key == "source") return GetString(v, key, &e->source);
      if (key == "session") return GetShared(v, key, &e->session, last_session);
      if (key == "server_ip") return GetIp(v, key, &e->server_ip);
      if (key == "server_port") return GetPort(v, key, &e->server_port);
      if (key == "state") return GetString(v, key, &e->state);
      if (key == "sni") return GetString(v, key, &e->sni);
      if (key == "secret_fp") return GetString(v, key, &e->secret_fp);
      if (key == "size") return GetOptInt(v, key, &e->size);
      if (key == "subject") return GetString(v, key, &e->subject);
      if (key == "status") return GetString(v, key, &e->status);
      if (key == "server_name") return GetString(v, key, &e->server_name);
      break;
    case 't':
      if (key == "ts") {
        std::string_view s;
        if (v.get_string().get(s)) return FieldError(key, "a string");
        auto t = ParseTimestamp(s);
        if (!t.ok()) return t.error().WithContext("field 'ts'");
        e->ts = *t;
        *have_ts = true;
      } else if (key == "to") {
        return GetStrings(v, key, &e->to);
      } else if (key == "text") {
        return GetString(v, key, &e->text);
      } else if (key == "truncated") {
        return GetBool(v, key, &e->truncated);
      }
      break;
    case 'u':
      if (key == "user") return GetString(v, key, &e->user);
      if (key == "user_agent") return GetString(v, key, &e->user_agent);
      break;
    case 'x':
      if (key == "x_originating_ip") return GetString(v, key, &e->x_originating_ip);
      break;
    default:
      break;
  }
  return Status::Ok();
}

}  // namespace

EventMember EventMember::Find(std::string_view name) {
  struct Row {
    std::string_view name;
    Type type;
    std::string Event::*text = nullptr;
    std::optional<int64_t> Event::*int64 = nullptr;
    std::optional<int> Event::*int32 = nullptr;
    std::optional<bool> Event::*boolean = nullptr;
    std::vector<std::string> Event::*list = nullptr;
  };
  auto text = [](std::string_view n, std::string Event::*m) {
    Row r{n, Type::kText};
    r.text = m;
    return r;
  };
  auto int64 = [](std::string_view n, std::optional<int64_t> Event::*m) {
    Row r{n, Type::kInt};
    r.int64 = m;
    return r;
  };
  auto int32 = [](std::string_view n, std::optional<int> Event::*m) {
    Row r{n, Type::kInt};
    r.int32 = m;
    return r;
  };
  auto boolean = [](std::string_view n, std::optional<bool> Event::*m) {
    Row r{n, Type::kBool};
    r.boolean = m;
    return r;
  };
  auto list = [](std::string_view n, std::vector<std::string> Event::*m) {
    Row r{n, Type::kList};
    r.list = m;
    return r;
  };
  // The members ParseField reads with GetString, GetOptInt, GetBool and GetStrings (error_code's
  // GetCodeText takes a string as it is).
  static const Row kRows[] = {
      text("source", &Event::source),
      text("protocol", &Event::protocol),
      text("state", &Event::state),
      text("direction", &Event::direction),
      text("helo", &Event::helo),
      text("how", &Event::how),
      text("sni", &Event::sni),
      text("mechanism", &Event::mechanism),
      text("user", &Event::user),
      text("outcome", &Event::outcome),
      text("secret_fp", &Event::secret_fp),
      text("mail_from", &Event::mail_from),
      text("rcpt_to", &Event::rcpt_to),
      text("header_from", &Event::header_from),
      text("subject", &Event::subject),
      text("msg_id", &Event::msg_id),
      text("user_agent", &Event::user_agent),
      text("date", &Event::date),
      text("enhanced", &Event::enhanced),
      text("text", &Event::text),
      text("command", &Event::command),
      text("relay", &Event::relay),
      text("status", &Event::status),
      text("actor", &Event::actor),
      text("operation", &Event::operation),
      text("client_app", &Event::client_app),
      text("error_code", &Event::error_code),
      text("country", &Event::country),
      text("reason", &Event::reason),
      text("queue_id", &Event::queue_id),
      text("reply_to", &Event::reply_to),
      text("in_reply_to", &Event::in_reply_to),
      text("x_originating_ip", &Event::x_originating_ip),
      text("server_name", &Event::server_name),
      int64("bytes_c2s", &Event::bytes_c2s),
      int64("bytes_s2c", &Event::bytes_s2c),
      int64("gaps", &Event::gaps),
      int64("bytes", &Event::bytes),
      int64("size", &Event::size),
      int32("code", &Event::code),
      boolean("esmtp", &Event::esmtp),
      boolean("accepted", &Event::accepted),
      boolean("truncated", &Event::truncated),
      list("recipients", &Event::recipients),
      list("to", &Event::to),
      list("cc", &Event::cc),
      list("received", &Event::received),
  };
  EventMember m;
  for (const Row& r : kRows) {
    if (r.name != name) continue;
    m.type_ = r.type;
    m.text_ = r.text;
    m.int64_ = r.int64;
    m.int32_ = r.int32;
    m.bool_ = r.boolean;
    m.list_ = r.list;
    break;
  }
  return m;
}

Status EventReader::ParseBuffered(Event* event, bool* have_ts, bool* have_kind) {
  auto& buf = impl_->buffer;
  element doc;
  if (impl_->parser.parse(buf.data(), buf.size(), false).get(doc)) {
    return MakeError(ErrorCode::kInvalidInput, "not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return MakeError(ErrorCode::kInvalidInput, "not a JSON object");
  for (auto [key, value] : obj) {
    MXIR_RETURN_IF_ERROR(ParseField(key, value, event, have_ts, have_kind, &impl_->last_file,
                                    &impl_->last_sha, &impl_->last_session));
  }
  return Status::Ok();
}

Status EventReader::ParseMember(std::string_view name, std::string_view json_value, Event* event) {
  auto& buf = impl_->buffer;
  buf.clear();
  buf.reserve(name.size() * 6 + json_value.size() + 8 + simdjson::SIMDJSON_PADDING);
  buf.push_back('{');
  buf.resize(1 + JsonStringBound(name.size()));
  char* end = WriteJsonString(buf.data() + 1, name);
  buf.resize(static_cast<size_t>(end - buf.data()));
  buf.push_back(':');
  buf.append(json_value);
  buf.push_back('}');
  bool have_ts = false, have_kind = false;
  MXIR_RETURN_IF_ERROR(ParseBuffered(event, &have_ts, &have_kind));
  return Status::Ok();
}

Status EventReader::Parse(std::string_view json, Event* event) {
  *event = Event();
  auto& buf = impl_->buffer;
  buf.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buf.assign(json);
  bool have_ts = false, have_kind = false;
  MXIR_RETURN_IF_ERROR(ParseBuffered(event, &have_ts, &have_kind));
  if (!have_ts) return MakeError(ErrorCode::kInvalidInput, "missing field 'ts'");
  if (!have_kind) return MakeError(ErrorCode::kInvalidInput, "missing field 'kind'");
  return Status::Ok();
}

}  // namespace mxir
