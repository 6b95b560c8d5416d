#include "casedb/event_codec.h"

#include <cstring>

#include <xxhash.h>

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

}  // namespace mxir::casedb
