#include "dnsbl/dns_answer.h"

#include <algorithm>
#include <cctype>

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

namespace mxir::dnsbl {

namespace {

constexpr size_t kHeaderSize = 12;
constexpr int kMaxAddresses = 32;

// The rcode of the header and the answer count, or false when there is no complete header.
bool ReadHeader(const uint8_t* data, size_t size, int* rcode, int* ancount, bool* is_response) {
  if (data == nullptr || size < kHeaderSize) return false;
  *is_response = (data[2] & 0x80) != 0;
  *rcode = data[3] & 0x0f;
  *ancount = (data[6] << 8) | data[7];
  return true;
}

std::string Printable(const unsigned char* s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

}  // namespace

const char* DnsOutcomeName(DnsOutcome o) {
  switch (o) {
    case DnsOutcome::kAnswer:
      return "answer";
    case DnsOutcome::kNxDomain:
      return "nxdomain";
    case DnsOutcome::kNoData:
      return "nodata";
    case DnsOutcome::kServFail:
      return "servfail";
    case DnsOutcome::kRefused:
      return "refused";
    case DnsOutcome::kTimeout:
      return "timeout";
    case DnsOutcome::kMalformed:
      return "malformed";
    case DnsOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

DnsAnswer DecodeDnsResponse(const uint8_t* data, size_t size, DnsType type) {
  DnsAnswer a;
  int rcode = 0, ancount = 0;
  bool is_response = false;
  if (!ReadHeader(data, size, &rcode, &ancount, &is_response)) {
    a.outcome = DnsOutcome::kMalformed;
    a.detail = "reply shorter than a DNS header (" + std::to_string(size) + " bytes)";
    return a;
  }
  if (!is_response) {
    a.outcome = DnsOutcome::kMalformed;
    a.detail = "reply is not marked as a response";
    return a;
  }
  switch (rcode) {
    case 0:
      break;
    case 2:
      a.outcome = DnsOutcome::kServFail;
      a.detail = "SERVFAIL";
      return a;
    case 3:
      a.outcome = DnsOutcome::kNxDomain;
      return a;
    case 5:
      a.outcome = DnsOutcome::kRefused;
      a.detail = "REFUSED by the DNS server";
      return a;
    default:
      a.outcome = DnsOutcome::kMalformed;
      a.detail = "unexpected DNS rcode " + std::to_string(rcode);
      return a;
  }
  if (ancount == 0) {
    a.outcome = DnsOutcome::kNoData;
    return a;
  }
  const int len = static_cast<int>(size > 65535 ? 65535 : size);
  if (type == DnsType::kA) {
    struct ares_addrttl ttls[kMaxAddresses];
    int n = kMaxAddresses;
    int st = ares_parse_a_reply(data, len, nullptr, ttls, &n);
    if (st == ARES_ENODATA) {
      a.outcome = DnsOutcome::kNoData;
      return a;
    }
    if (st != ARES_SUCCESS) {
      a.outcome = DnsOutcome::kMalformed;
      a.detail = std::string("unparsable A reply: ") + ares_strerror(st);
      return a;
    }
    for (int i = 0; i < n; ++i) {
      a.addresses.push_back(IpAddress::V4(ntohl(ttls[i].ipaddr.s_addr)));
    }
    a.outcome = a.addresses.empty() ? DnsOutcome::kNoData : DnsOutcome::kAnswer;
    return a;
  }
  auto lower = [](std::string n) {
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!n.empty() && n.back() == '.') n.pop_back();
    return Printable(reinterpret_cast<const unsigned char*>(n.data()), n.size());
  };
  if (type == DnsType::kPtr) {
    struct hostent* host = nullptr;
    int st = ares_parse_ptr_reply(data, len, nullptr, 0, AF_INET, &host);
    if (st == ARES_ENODATA) {
      a.outcome = DnsOutcome::kNoData;
      return a;
    }
    if (st != ARES_SUCCESS || host == nullptr) {
      a.outcome = DnsOutcome::kMalformed;
      a.detail = std::string("unparsable PTR reply: ") + ares_strerror(st);
      return a;
    }
    if (host->h_name) a.names.push_back(lower(host->h_name));
    for (char** al = host->h_aliases;
         al && *al && a.names.size() < static_cast<size_t>(kMaxAddresses); ++al) {
      std::string n = lower(*al);
      if (std::find(a.names.begin(), a.names.end(), n) == a.names.end()) a.names.push_back(n);
    }
    ares_free_hostent(host);
    a.outcome = a.names.empty() ? DnsOutcome::kNoData : DnsOutcome::kAnswer;
    return a;
  }
  if (type == DnsType::kMx) {
    struct ares_mx_reply* mx = nullptr;
    int st = ares_parse_mx_reply(data, len, &mx);
    if (st == ARES_ENODATA) {
      a.outcome = DnsOutcome::kNoData;
      return a;
    }
    if (st != ARES_SUCCESS) {
      a.outcome = DnsOutcome::kMalformed;
      a.detail = std::string("unparsable MX reply: ") + ares_strerror(st);
      return a;
    }
    std::vector<std::pair<int, std::string>> hosts;
    for (auto* m = mx; m != nullptr && hosts.size() < static_cast<size_t>(kMaxAddresses);
         m = m->next) {
      hosts.emplace_back(m->priority, lower(m->host ? m->host : ""));
    }
    ares_free_data(mx);
    std::stable_sort(hosts.begin(), hosts.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (auto& h : hosts) a.names.push_back(std::move(h.second));
    a.outcome = a.names.empty() ? DnsOutcome::kNoData : DnsOutcome::kAnswer;
    return a;
  }
  struct ares_txt_ext* txt = nullptr;
  int st = ares_parse_txt_reply_ext(data, len, &txt);
  if (st == ARES_ENODATA) {
    a.outcome = DnsOutcome::kNoData;
    return a;
  }
  if (st != ARES_SUCCESS) {
    a.outcome = DnsOutcome::kMalformed;
    a.detail = std::string("unparsable TXT reply: ") + ares_strerror(st);
    return a;
  }
  for (struct ares_txt_ext* t = txt; t != nullptr; t = t->next) {
    std::string chunk = Printable(t->txt, t->length);
    if (t->record_start || a.txt.empty()) {
      a.txt.push_back(std::move(chunk));
    } else {
      a.txt.back() += chunk;
    }
    if (a.txt.size() >= kMaxAddresses) break;
  }
  ares_free_data(txt);
  a.outcome = a.txt.empty() ? DnsOutcome::kNoData : DnsOutcome::kAnswer;
  return a;
}

}  // namespace mxir::dnsbl
