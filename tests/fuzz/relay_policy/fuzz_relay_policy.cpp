// libFuzzer target: bytes of a policy connection, split into pieces at points chosen by the
// input, through PolicyParser and every complete request through the Guard. Must never crash,
// hang or grow without bound; every answer must be exactly one action line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/clock.h"
#include "core/ini_file.h"
#include "relay/guard.h"
#include "relay/policy_protocol.h"

namespace {

const mxir::relay::RelayConfig& Config() {
  static const auto* c = [] {
    auto ini = mxir::IniFile::Parse(
        "[relay]\nlisten_ip = 192.0.2.25\nhostname = relay.company.example\n"
        "domains = company.example\ntls_cert_file = /c\ntls_key_file = /k\n"
        "max_recipients_per_message = 3\nmax_recipients_per_hour = 10\n"
        "investigate = mallory@company.example\n[logins]\nrelay = secret_file:/p\n",
        "fuzz.ini");
    return new mxir::relay::RelayConfig(*mxir::relay::ParseRelayConfig(*ini, "fuzz.ini"));
  }();
  return *c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mxir::ManualClock clock(mxir::Timestamp::FromSeconds(1796000000));
  mxir::relay::Guard guard(Config(), nullptr, clock);
  mxir::relay::PolicyParser parser;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t step = size ? (data[0] % 17) + 1 : 1;
  std::vector<mxir::relay::PolicyRequest> out;
  for (size_t off = 0; off < in.size(); off += step) {
    if (!parser.Feed(in.substr(off, step), out)) break;
    for (const auto& r : out) {
      auto d = guard.Decide(r);
      if (d.ok()) {
        std::string reply = mxir::relay::FormatPolicyReply(d->action);
        if (reply.find('\n') != reply.size() - 2) std::abort();
      }
      clock.Advance(1000000);
    }
    out.clear();
  }
  return 0;
}
