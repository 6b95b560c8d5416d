#include "casedb/event_codec.h"

#include <cstring>

#include <xxhash.h>

#include "casedb/string_table.h"
#include "core/event_json.h"

namespace mxir::casedb {

namespace {

// A small fixed-layout buffer fed to XXH3.
class KeyBytes {
 public:
  template <typename T>
  void Put(T v) {
    std::memcpy(buf_ + n_, &v, sizeof v);
    n_ += sizeof v;
  }
  void PutIp(const std::optional<IpAddress>& ip) {
    if (!ip) {
      Put<uint8_t>(0);
      return;
    }
    Put<uint8_t>(ip->is_v4() ? 4 : 6);
    std::memcpy(buf_ + n_, ip->bytes(), ip->size());
    n_ += ip->size();
  }
  int64_t Hash() const { return static_cast<int64_t>(XXH3_64bits(buf_, n_)); }

 private:
  uint8_t buf_[96];
  size_t n_ = 0;
};

}  // namespace

int64_t EventKey(const Event& e) {
  KeyBytes k;
  if (e.origin.record != 0) {
    k.Put<uint8_t>(1);
    k.Put<uint64_t>(e.origin.record);
    k.Put<int32_t>(e.origin.repeat);
    k.Put<int32_t>(e.origin.index);
    k.Put<uint8_t>(static_cast<uint8_t>(e.kind));
    return k.Hash();
  }
  if (e.origin.packet >= 0) {
    k.Put<uint8_t>(2);
    k.Put<int64_t>(e.ts.micros());
    k.PutIp(e.client_ip);
    k.Put<int32_t>(e.client_port);
    k.PutIp(e.server_ip);
    k.Put<int32_t>(e.server_port);
    k.Put<int32_t>(e.origin.index);
    k.Put<uint8_t>(static_cast<uint8_t>(e.kind));
    return k.Hash();
  }
  Event copy = e;
  copy.origin = EventOrigin();
  std::string json = EventToJson(copy);
  return static_cast<int64_t>(XXH3_64bits(json.data(), json.size()) ^ 0x9e3779b97f4a7c15ull);
}

int64_t EventLocality(const Event& e) {
  if (e.origin.record != 0) return e.origin.locality;
  constexpr int64_t kDay = int64_t{86400} * 1000000;
  int64_t in_day = e.ts.micros() % kDay;
  if (in_day < 0) in_day += kDay;
  return 1 + in_day / 1000000;
}

void ClearColumnFields(Event& e) {
  e.ts = Timestamp();
  e.source.clear();
  e.origin = EventOrigin();
  e.protocol.clear();
  e.session = SharedString();
  e.client_ip.reset();
  e.client_port = -1;
  e.server_ip.reset();
  e.server_port = -1;
  e.user.clear();
}

void RestJson(const Event& e, std::string& out) {
  thread_local EventJsonBuffer b;
  b.Clear();
  WriteEventJson(b, e);
  std::string_view j = b.View();
  // {"ts":"<epoch>","kind":"<name>" ... }
  constexpr std::string_view kTs = "{\"ts\":\"";
  constexpr std::string_view kKind = "\",\"kind\":\"";
  size_t ts_end = j.find('"', kTs.size());
  if (j.starts_with(kTs) && ts_end != std::string_view::npos &&
      j.substr(ts_end).starts_with(kKind)) {
    size_t name = ts_end + kKind.size();
    size_t name_end = j.find('"', name);
    if (name_end != std::string_view::npos && j.back() == '}') {
      std::string_view rest = j.substr(name_end + 1, j.size() - name_end - 2);
      if (rest.empty() || rest.front() == ',') {
        out.append(rest);
        return;
      }
    }
  }
  out.append(j);
}

namespace {

constexpr uint8_t kInternedString = 0x01;  // then a varint string id
constexpr uint8_t kFieldToken = 0x80;      // 0x80 + id for ids < 127
constexpr uint8_t kFieldTokenLong = 0xff;  // then a varint id
constexpr size_t kMetSlots = size_t{1} << 16;
// A value of the rest is interned when it is met for the third time. Interning costs a row of
// `strings` and an entry of its index (about twice the value's bytes, and a random insert into
// that index); kept inline, each sight costs the value's bytes. A value met twice — most
// often a delivery's reply text naming the remote queue id, met once per recipient of the
// same message — is cheaper inline both times; from three sights on, interning is cheaper.
constexpr uint32_t kSightsToIntern = 3;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// The end of the JSON value starting at `pos` (a string, number, literal, array or object, as
// the Event writer makes them): the index of the ',' that follows it at top level, or the size.
size_t ValueEnd(std::string_view s, size_t pos) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_str = false;
      }
    } else if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return s.size();
}

}  // namespace

void SplitRest::Split() {
  members.clear();
  if (json.empty()) {
    layout = Layout::kEmpty;
    return;
  }
  if (json.front() != ',' || json.size() > UINT32_MAX) {  // a layout the encoder does not know
    layout = Layout::kWhole;
    return;
  }
  std::string_view j = json;
  size_t pos = 0;
  while (pos < j.size()) {
    // ,"name":value
    size_t name_end = j.find('"', pos + 2);
    if (j[pos] != ',' || pos + 1 >= j.size() || j[pos + 1] != '"' ||
        name_end == std::string_view::npos || name_end + 1 >= j.size() || j[name_end + 1] != ':') {
      layout = Layout::kMalformed;  // never expected
      members.clear();
      return;
    }
    RestMember& m = members.emplace_back();
    m.name_pos = static_cast<uint32_t>(pos + 2);
    m.name_len = static_cast<uint32_t>(name_end - pos - 2);
    m.name_hash = StringInterner::Hash(j.substr(m.name_pos, m.name_len));
    size_t v = name_end + 2;
    size_t end = ValueEnd(j, v);
    m.value_pos = static_cast<uint32_t>(v);
    m.value_len = static_cast<uint32_t>(end - v);
    std::string_view value = j.substr(v, end - v);
    m.text_hash = 0;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"' && value.size() <= 258) {
      m.text_hash = StringInterner::Hash(value.substr(1, value.size() - 2));
    }
    pos = end;
  }
  layout = Layout::kMembers;
}

Status RestEncoder::Encode(std::string_view json, std::string& out) {
  scratch_.json.assign(json);
  scratch_.Split();
  return Encode(scratch_, out);
}

Status RestEncoder::Encode(const SplitRest& rest, std::string& out) {
  out.clear();
  std::string_view json = rest.json;
  switch (rest.layout) {
    case SplitRest::Layout::kEmpty:
      return Status::Ok();
    case SplitRest::Layout::kWhole:
      out.assign(json);
      return Status::Ok();
    case SplitRest::Layout::kMalformed:  // kept whole
      out.assign("{\"ts\":\"1970-01-01T00:00:00Z\"");
      out.append(json);
      out.push_back('}');
      return Status::Ok();
    case SplitRest::Layout::kMembers:
      break;
  }
  for (const RestMember& m : rest.members) {
    MXIR_ASSIGN_OR_RETURN(
        int64_t field, strings_->FieldIdHashed(json.substr(m.name_pos, m.name_len), m.name_hash));
    if (field < 0x7f) {
      out.push_back(static_cast<char>(kFieldToken + field));
    } else {
      out.push_back(static_cast<char>(kFieldTokenLong));
      PutVarint(out, static_cast<uint64_t>(field));
    }
    std::string_view value = json.substr(m.value_pos, m.value_len);
    if (m.text_hash != 0 && Intern(field)) {
      std::string_view inner = value.substr(1, value.size() - 2);
      int64_t id = strings_->CachedId(inner, m.text_hash);
      if (id == 0) {
        // Interned on its third sight (met_), kept inline on the first two.
        if (met_.empty()) met_.resize(kMetSlots);
        Met& slot = met_[m.text_hash & (kMetSlots - 1)];
        if (slot.hash != m.text_hash) {
          slot.hash = m.text_hash;
          slot.sights = 1;
          out.append(value);
          continue;
        }
        if (slot.sights + 1 < kSightsToIntern) {
          ++slot.sights;
          out.append(value);
          continue;
        }
        MXIR_ASSIGN_OR_RETURN(id, strings_->IdHashed(inner, m.text_hash));
      }
      Stats& st = StatsOf(field);
      ++st.seen;
      if (id > max_id_) {
        ++st.fresh;
        max_id_ = id;
      }
      out.push_back(static_cast<char>(kInternedString));
      PutVarint(out, static_cast<uint64_t>(id));
    } else {
      out.append(value);
    }
  }
  return Status::Ok();
}

// A field's strings are interned while most of its values repeat (judged after 512 values).
RestEncoder::Stats& RestEncoder::StatsOf(int64_t field) {
  constexpr int64_t kDense = 4096;
  if (field >= 0 && field < kDense) {
    if (static_cast<size_t>(field) >= stats_.size()) stats_.resize(static_cast<size_t>(field) + 1);
    return stats_[static_cast<size_t>(field)];
  }
  return sparse_stats_[field];
}

// Rebuilds the JSON of the rest (event_codec.h) into `json`: a whole object to parse.
Status DecodeRest(std::string_view blob, EventKind kind, StringCache& cache, std::string& json) {
  json.clear();
  if (!blob.empty() && blob.front() == '{') {
    json.assign(blob);
    return Status::Ok();
  }
  json.append("{\"ts\":\"1970-01-01T00:00:00Z\",\"kind\":\"");
  json.append(EventKindName(kind));
  json.push_back('"');
  size_t pos = 0;
  bool in_str = false;
  while (pos < blob.size()) {
    uint8_t b = static_cast<uint8_t>(blob[pos]);
    if (in_str) {
      json.push_back(static_cast<char>(b));
      ++pos;
      if (b == '\\' && pos < blob.size()) {
        json.push_back(blob[pos++]);
      } else if (b == '"') {
        in_str = false;
      }
      continue;
    }
    if (b >= kFieldToken) {
      uint64_t id = b - kFieldToken;
      ++pos;
      if (b == kFieldTokenLong && !GetVarint(blob, &pos, &id)) {
        return MakeError(ErrorCode::kCorrupt, "bad field token");
      }
      MXIR_ASSIGN_OR_RETURN(const std::string* name, cache.Field(static_cast<int64_t>(id)));
      json.append(",\"");
      json.append(*name);
      json.append("\":");
    } else if (b == kInternedString) {
      ++pos;
      uint64_t id = 0;
      if (!GetVarint(blob, &pos, &id)) return MakeError(ErrorCode::kCorrupt, "bad string token");
      MXIR_ASSIGN_OR_RETURN(std::string_view s, cache.Text(static_cast<int64_t>(id)));
      json.push_back('"');
      json.append(s);
      json.push_back('"');
    } else {
      if (b == '"') in_str = true;
      json.push_back(static_cast<char>(b));
      ++pos;
    }
  }
  json.push_back('}');
  return Status::Ok();
}

}  // namespace mxir::casedb
