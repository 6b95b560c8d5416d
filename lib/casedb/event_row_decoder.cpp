#include "casedb/event_row_decoder.h"

#include <charconv>

#include "casedb/event_codec.h"
#include "core/json_writer.h"

namespace mxir::casedb {

const char* const kEventSelectColumns =
    "SELECT id, ts, kind, source, protocol, session, client_ip, client_port, server_ip, "
    "server_port, user, file, line, packet, idx, rest FROM events ";

namespace {

// The stored rest's tokens (event_codec.cpp writes them).
constexpr uint8_t kInternedString = 0x01;
constexpr uint8_t kFieldToken = 0x80;
constexpr uint8_t kFieldTokenLong = 0xff;
constexpr int64_t kMaxFieldId = 1 << 16;  // event_fields holds a few dozen names

bool GetVarint(std::string_view s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// A JSON string with nothing to unescape: its text, or false.
bool PlainString(std::string_view raw, std::string_view* text) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  std::string_view in = raw.substr(1, raw.size() - 2);
  for (unsigned char c : in) {
    if (c < 0x20 || c == '"' || c == '\\') return false;
  }
  if (!IsValidUtf8(in)) return false;
  *text = in;
  return true;
}

// A JSON integer that fits int64_t (what simdjson's get_int64 takes), or false.
bool PlainInt(std::string_view raw, int64_t* v) {
  std::string_view digits = raw;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19) return false;
  if (digits.front() == '0' && (digits.size() > 1 || raw.front() == '-')) return false;  // 01, -0
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), *v);
  return ec == std::errc() && p == raw.data() + raw.size();
}

// A JSON array of strings with nothing to unescape, as the Event writer makes it (no spaces).
bool PlainList(std::string_view raw, std::vector<std::string_view>* items) {
  items->clear();
  if (raw.size() < 2 || raw.front() != '[' || raw.back() != ']') return false;
  size_t pos = 1;
  const size_t end = raw.size() - 1;
  if (pos == end) return true;
  for (;;) {
    if (raw[pos] != '"') return false;
    size_t close = raw.find('"', pos + 1);
    if (close == std::string_view::npos || close >= end) return false;
    std::string_view text;
    if (!PlainString(raw.substr(pos, close + 1 - pos), &text)) return false;
    items->push_back(text);
    pos = close + 1;
    if (pos == end) return true;
    if (raw[pos] != ',') return false;
    ++pos;
  }
}

}  // namespace

Result<const RowDecoder::Field*> RowDecoder::FieldFor(int64_t id) {
  if (id < 0 || id > kMaxFieldId) return MakeError(ErrorCode::kCorrupt, "bad field token");
  if (static_cast<size_t>(id) >= fields_.size()) fields_.resize(static_cast<size_t>(id) + 1);
  Field& f = fields_[static_cast<size_t>(id)];
  if (!f.resolved) {
    MXIR_ASSIGN_OR_RETURN(const std::string* name, cache_.Field(id));
    f.name = *name;
    f.member = EventMember::Find(f.name);
    f.resolved = true;
  }
  return &f;
}

Status RowDecoder::SetRaw(const Field& f, std::string_view raw, Event* e) {
  switch (f.member.type()) {
    case EventMember::Type::kText: {
      std::string_view text;
      if (PlainString(raw, &text)) {
        f.member.SetText(e, text);
        return Status::Ok();
      }
      break;
    }
    case EventMember::Type::kInt: {
      int64_t v;
      if (PlainInt(raw, &v)) {
        f.member.SetInt(e, v);
        return Status::Ok();
      }
      break;
    }
    case EventMember::Type::kBool:
      if (raw == "true" || raw == "false") {
        f.member.SetBool(e, raw.front() == 't');
        return Status::Ok();
      }
      break;
    case EventMember::Type::kList:
      if (PlainList(raw, &items_)) {
        std::vector<std::string>& list = f.member.List(e);
        for (std::string_view s : items_) list.emplace_back(s);
        return Status::Ok();
      }
      break;
    case EventMember::Type::kOther:
      break;
  }
  return reader_.ParseMember(f.name, raw, e);
}

Status RowDecoder::SetInterned(const Field& f, int64_t string_id, Event* e) {
  MXIR_ASSIGN_OR_RETURN(const StringCache::Entry* s, cache_.GetEntry(string_id));
  if (f.member.type() == EventMember::Type::kText && s->plain_json) {
    f.member.SetText(e, s->text());
    return Status::Ok();
  }
  // The interned text is a JSON string's text as written (escapes kept): read it as JSON.
  json_.clear();
  json_.push_back('"');
  json_.append(s->text());
  json_.push_back('"');
  return reader_.ParseMember(f.name, json_, e);
}

Status RowDecoder::DecodeRestInto(std::string_view blob, EventKind kind, Event* e) {
  if (!blob.empty() && blob.front() == '{') {
    // A rest kept whole (a layout the encoder did not know): the JSON of the whole event.
    MXIR_RETURN_IF_ERROR(DecodeRest(blob, kind, cache_, json_));
    return reader_.Parse(json_, e);
  }
  size_t pos = 0;
  while (pos < blob.size()) {
    const uint8_t b = static_cast<uint8_t>(blob[pos++]);
    if (b < kFieldToken) return MakeError(ErrorCode::kCorrupt, "a value without a field");
    uint64_t id = b - kFieldToken;
    if (b == kFieldTokenLong && !GetVarint(blob, &pos, &id)) {
      return MakeError(ErrorCode::kCorrupt, "bad field token");
    }
    MXIR_ASSIGN_OR_RETURN(const Field* f, FieldFor(static_cast<int64_t>(id)));
    if (pos < blob.size() && static_cast<uint8_t>(blob[pos]) == kInternedString) {
      ++pos;
      uint64_t sid = 0;
      if (!GetVarint(blob, &pos, &sid) || sid > static_cast<uint64_t>(INT64_MAX)) {
        return MakeError(ErrorCode::kCorrupt, "bad string token");
      }
      MXIR_RETURN_IF_ERROR(SetInterned(*f, static_cast<int64_t>(sid), e));
      continue;
    }
    // The value's JSON: up to the next token outside a string.
    const size_t start = pos;
    bool in_str = false;
    while (pos < blob.size()) {
      const uint8_t c = static_cast<uint8_t>(blob[pos]);
      if (in_str) {
        if (c == '\\') {
          ++pos;
        } else if (c == '"') {
          in_str = false;
        }
      } else if (c == '"') {
        in_str = true;
      } else if (c >= kFieldToken) {
        break;
      } else if (c == kInternedString) {
        return MakeError(ErrorCode::kCorrupt, "a string token inside a value");
      }
      ++pos;
    }
    if (pos > blob.size()) pos = blob.size();  // a trailing backslash
    if (pos == start) return MakeError(ErrorCode::kCorrupt, "a field without a value");
    MXIR_RETURN_IF_ERROR(SetRaw(*f, blob.substr(start, pos - start), e));
  }
  return Status::Ok();
}

const SharedString& RowDecoder::Session(std::string_view text) {
  constexpr size_t kSlots = 512;
  if (sessions_.empty()) sessions_.resize(kSlots);
  SharedString& slot = sessions_[StringInterner::Hash(text) & (kSlots - 1)];
  if (slot.str() != text) slot = SharedString(text);
  return slot;
}

Status RowDecoder::Decode(Statement& st, Event* e) {
  int64_t kind = st.ColumnInt(2);
  if (kind < 0 || kind >= EventKindCount()) {
    return MakeError(ErrorCode::kCorrupt, "unknown kind");
  }
  // The session and file of the row before are kept aside: when this row has the same (the
  // file nearly always, the session often), it is moved back instead of copied — no reference
  // count touched.
  SharedString session = std::move(e->session), file = std::move(e->origin.file);
  ResetEvent(*e);  // keeps the capacity of the strings and lists a reused Event had
  MXIR_RETURN_IF_ERROR(DecodeRestInto(st.ColumnBlob(15), static_cast<EventKind>(kind), e));
  e->ts = Timestamp::FromMicros(st.ColumnInt(1));
  e->kind = static_cast<EventKind>(kind);
  // A string column holds an id of `strings` (ids start at 1) or NULL, which reads as 0: one
  // call per column instead of asking for its type first.
  auto str = [&](int col, std::string* out) -> Status {
    const int64_t id = st.ColumnInt(col);
    if (id == 0) return Status::Ok();
    MXIR_ASSIGN_OR_RETURN(std::string_view s, cache_.Text(id));
    out->assign(s);
    return Status::Ok();
  };
  auto shared = [&](int col, SharedString& before, SharedString* out) -> Status {
    const int64_t id = st.ColumnInt(col);
    if (id == 0) return Status::Ok();
    MXIR_ASSIGN_OR_RETURN(const SharedString* s, cache_.Get(id));
    if (before.SameAs(*s)) {
      *out = std::move(before);
    } else {
      *out = *s;
    }
    return Status::Ok();
  };
  auto ip = [&](int col, std::optional<IpAddress>* out) {
    std::string_view b = st.ColumnBlob(col);
    if (b.size() != 4 && b.size() != 16) return;
    *out = IpAddress::FromBytes(reinterpret_cast<const uint8_t*>(b.data()), b.size() == 16);
  };
  auto num = [&](int col, auto* out) {
    if (!st.ColumnIsNull(col))
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(st.ColumnInt(col));
  };
  MXIR_RETURN_IF_ERROR(str(3, &e->source));
  MXIR_RETURN_IF_ERROR(str(4, &e->protocol));
  // The session: inline as a BLOB (rows stored since schema 9), or an id of `strings`.
  if (st.ColumnType(5) == SQLITE_BLOB) {
    std::string_view text = st.ColumnBlob(5);
    if (!text.empty()) {
      const SharedString& s = Session(text);
      if (session.SameAs(s)) {
        e->session = std::move(session);
      } else {
        e->session = s;
      }
    }
  } else {
    MXIR_RETURN_IF_ERROR(shared(5, session, &e->session));
  }
  ip(6, &e->client_ip);
  num(7, &e->client_port);
  ip(8, &e->server_ip);
  num(9, &e->server_port);
  MXIR_RETURN_IF_ERROR(str(10, &e->user));
  MXIR_RETURN_IF_ERROR(shared(11, file, &e->origin.file));
  num(12, &e->origin.line);
  num(13, &e->origin.packet);
  num(14, &e->origin.index);
  return Status::Ok();
}

}  // namespace mxir::casedb
