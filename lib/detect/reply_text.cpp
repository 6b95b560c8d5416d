#include "detect/reply_text.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii.h"
#include "core/ip_address.h"
#include "detect/locality.h"

namespace mxir::detect {

namespace {

struct KnownList {
  const char* needle;  // lower-case text to look for
  const char* name;
};

// Well-known lists and the words their rejections use. Zone names first (most specific).
constexpr std::array<KnownList, 22> kKnownLists{{
    {"zen.spamhaus.org", "Spamhaus ZEN (zen.spamhaus.org)"},
    {"sbl.spamhaus.org", "Spamhaus SBL (sbl.spamhaus.org)"},
    {"xbl.spamhaus.org", "Spamhaus XBL (xbl.spamhaus.org)"},
    {"pbl.spamhaus.org", "Spamhaus PBL (pbl.spamhaus.org)"},
    {"spamhaus", "Spamhaus"},
    {"b.barracudacentral.org", "Barracuda (b.barracudacentral.org)"},
    {"barracuda", "Barracuda"},
    {"bl.spamcop.net", "SpamCop (bl.spamcop.net)"},
    {"spamcop", "SpamCop"},
    {"uceprotect", "UCEPROTECT"},
    {"psbl.surriel.com", "PSBL (psbl.surriel.com)"},
    {"sorbs", "SORBS"},
    {"bl.mailspike.net", "Mailspike (bl.mailspike.net)"},
    {"mailspike", "Mailspike"},
    {"dnsbl.sorbs.net", "SORBS (dnsbl.sorbs.net)"},
    {"cbl.abuseat.org", "CBL (cbl.abuseat.org)"},
    {"abuseat", "CBL (cbl.abuseat.org)"},
    {"invaluement", "invaluement"},
    {"s3150", "Microsoft block list (S3150)"},
    {"s3140", "Microsoft block list (S3140)"},
    {"proofpoint", "Proofpoint (dnsbl)"},
    {"truncate.gbudb.net", "GBUdb (truncate.gbudb.net)"},
}};

// Words that mean "you are on a list" when no known list matched.
constexpr std::array<const char*, 8> kListWords{{"blocklist", "blacklist", "block list",
                                                 "black list", "dnsbl", " rbl", "listed at",
                                                 "blocked using"}};

bool Contains(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

// The zone after "blocked using " (Postfix reject_rbl_client wording), if any.
std::string ZoneAfter(const std::string& lower, std::string_view marker) {
  auto p = lower.find(marker);
  if (p == std::string::npos) return "";
  p += marker.size();
  auto e = p;
  while (e < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[e])) ||
                              lower[e] == '.' || lower[e] == '-')) {
    ++e;
  }
  std::string zone = lower.substr(p, e - p);
  while (!zone.empty() && zone.back() == '.') zone.pop_back();
  return zone.find('.') == std::string::npos ? "" : zone;
}

}  // namespace

std::string FirstIpInText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isxdigit(c) || c == ':') {
      size_t j = i;
      while (j < text.size() && (std::isxdigit(static_cast<unsigned char>(text[j])) ||
                                 text[j] == '.' || text[j] == ':')) {
        ++j;
      }
      std::string_view token = text.substr(i, j - i);
      while (!token.empty() && (token.back() == '.' || token.back() == ':')) token.remove_suffix(1);
      bool has_sep =
          token.find('.') != std::string_view::npos || token.find(':') != std::string_view::npos;
      if (has_sep && token.size() >= 3) {
        if (auto ip = IpAddress::Parse(token)) return ip->ToString();
      }
      i = j + 1;
    } else {
      ++i;
    }
  }
  return "";
}

std::optional<BlocklistCitation> FindBlocklistCitation(std::string_view text) {
  std::string lower = AsciiLower(text);
  BlocklistCitation c;
  if (std::string zone = ZoneAfter(lower, "blocked using "); !zone.empty()) {
    c.list = zone;
  }
  for (const auto& k : kKnownLists) {
    if (Contains(lower, k.needle)) {
      if (c.list.empty() || Contains(k.name, c.list)) c.list = k.name;
      break;
    }
  }
  if (c.list.empty()) {
    bool listed = std::any_of(kListWords.begin(), kListWords.end(),
                              [&](const char* w) { return Contains(lower, w); });
    if (!listed) return std::nullopt;
    if (std::string zone = ZoneAfter(lower, "listed at "); !zone.empty()) {
      c.list = zone;
    } else {
      c.list = "an unnamed blocklist";
    }
  }
  c.listed_ip = FirstIpInText(text);
  return c;
}

bool IsThrottleReply(int code, std::string_view enhanced, std::string_view text) {
  std::string lower = AsciiLower(text);
  static constexpr std::array<const char*, 18> kWords{
      {"too many", "rate limit", "ratelimit", "rate-limit", "temporarily restricted",
       "temporarily deferred", "throttl", "exceeded", "unusual rate", "unexpected volume",
       "too much mail", "sending limit", "try again later", "slow down", "reputation",
       "temporarily rate", "limit reached", "bad outbound sender"}};
  bool words =
      std::any_of(kWords.begin(), kWords.end(), [&](const char* w) { return Contains(lower, w); });
  static constexpr std::array<const char*, 6> kCodes{
      {"4.7.28", "4.7.650", "4.7.0", "4.7.1", "5.1.8", "4.3.2"}};
  bool provider_code = Contains(lower, "ts01") || Contains(lower, "ts02") ||
                       Contains(lower, "ts03") || Contains(lower, "tss04") ||
                       enhanced == "4.7.28" || enhanced == "4.7.650";
  if (provider_code) return true;
  if (!words) return false;
  // "try again later" / "exceeded" alone are common; require a rate-or-policy reply code.
  bool code_ok = code == 421 || code == 450 || code == 451 || code == 452 || code == 454 ||
                 code == 550 || code == 554 || code == 0;
  bool enhanced_ok =
      enhanced.empty() ||
      std::any_of(kCodes.begin(), kCodes.end(), [&](auto c) { return enhanced == c; }) ||
      enhanced.substr(0, 3) == "4.7" || enhanced.substr(0, 3) == "5.7";
  return code_ok && (enhanced_ok || Contains(lower, "too many") || Contains(lower, "rate"));
}

}  // namespace mxir::detect
