#include "dnsbl/verdict.h"

namespace mxir::dnsbl {

namespace {

const CodeRule* FindRule(const DnsblZone& zone, uint32_t code) {
  for (const auto& r : zone.codes) {
    if (code >= r.from && code <= r.to) return &r;
  }
  return nullptr;
}

// Bitmask zones answer 127.0.0.N with N a sum of flags; every set bit must be a known flag.
bool DecodeBits(const DnsblZone& zone, uint32_t code, std::string* meaning) {
  if ((code >> 8) != (127u << 16)) return false;  // only 127.0.0.x carries flags
  uint32_t bits = code & 0xff, known = 0;
  std::string m;
  for (const auto& f : zone.bits) {
    if (bits & f.bit) {
      known |= f.bit;
      m += (m.empty() ? "" : " + ") + f.meaning;
    }
  }
  if (bits == 0 || known != bits) return false;
  *meaning = m;
  return true;
}

void Join(std::string& into, const std::string& what) {
  if (what.empty() || into.find(what) != std::string::npos) return;
  into += (into.empty() ? "" : "; ") + what;
}

}  // namespace

Verdict Interpret(const DnsblZone& zone, const DnsAnswer& answer) {
  Verdict v;
  for (const auto& ip : answer.addresses) v.codes.push_back(ip.ToString());
  switch (answer.outcome) {
    case DnsOutcome::kNxDomain:
      v.status = CheckStatus::kNotListed;
      return v;
    case DnsOutcome::kNoData:
      v.status = CheckStatus::kNotListed;
      v.meaning = "the name exists but has no A record (NODATA)";
      return v;
    case DnsOutcome::kAnswer:
      break;
    case DnsOutcome::kRefused:
      v.status = CheckStatus::kError;
      v.meaning = "the DNS server answered REFUSED (it does not serve or forward " + zone.zone +
                  "; a key-gated zone without a valid key does this too)";
      return v;
    default:
      v.status = CheckStatus::kError;
      v.meaning = answer.detail.empty() ? DnsOutcomeName(answer.outcome) : answer.detail;
      return v;
  }
  std::string listed, refused, good, unknown, errors;
  for (const auto& ip : answer.addresses) {
    std::string text = ip.ToString();
    if (!ip.is_v4() || (ip.v4_host_order() >> 24) != 127) {
      Join(errors, "answer " + text +
                       " is outside 127.0.0.0/8: the resolver or a parked domain rewrote the "
                       "reply (not a listing)");
      continue;
    }
    uint32_t code = ip.v4_host_order();
    std::string bits_meaning;
    if (const CodeRule* r = FindRule(zone, code)) {
      switch (r->status) {
        case CheckStatus::kListed:
          Join(listed, r->meaning);
          break;
        case CheckStatus::kRefused:
          Join(refused, r->meaning + " (" + text + ")");
          break;
        case CheckStatus::kNotListed:
          Join(good, r->meaning);
          break;
        case CheckStatus::kError:
          Join(errors, r->meaning + " (" + text + ")");
          break;
      }
    } else if (!zone.bits.empty() && DecodeBits(zone, code, &bits_meaning)) {
      Join(listed, bits_meaning);
    } else {
      Join(unknown, text);
    }
  }
  if (!errors.empty()) {
    v.status = CheckStatus::kError;
    v.meaning = errors;
  } else if (!refused.empty()) {
    v.status = CheckStatus::kRefused;
    v.meaning = refused;
  } else if (!listed.empty()) {
    v.status = CheckStatus::kListed;
    v.meaning = listed;
    if (!unknown.empty()) v.meaning += "; also unrecognised answer " + unknown;
  } else if (!unknown.empty()) {
    v.status = CheckStatus::kError;
    v.meaning =
        "unrecognised answer " + unknown + " (not a code " + zone.id + " documents as a listing)";
  } else {
    v.status = CheckStatus::kNotListed;
    v.meaning = good;
  }
  return v;
}

}  // namespace mxir::dnsbl
