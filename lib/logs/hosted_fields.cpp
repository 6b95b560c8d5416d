#include "logs/hosted_fields.h"

#include <cstring>

#include "core/ascii.h"
#include "logs/text_scan.h"

namespace mxir::logs {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ValidCivil(const CivilTime& c) {
  return c.year >= 1970 && c.year <= 9999 && c.month >= 1 && c.month <= 12 && c.day >= 1 &&
         c.day <= 31 && c.hour <= 23 && c.minute <= 59 && c.second <= 60;
}

}  // namespace

std::optional<Timestamp> ParseHostedTime(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && s[0] == '\\' && s[1] == '/') s.remove_prefix(1);
  if (StartsWith(s, "/Date(")) {
    s.remove_prefix(6);
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.remove_prefix(1);
    int64_t ms = 0;
    size_t i = 0;
    for (; i < s.size() && i < 16 && s[i] >= '0' && s[i] <= '9'; ++i) ms = ms * 10 + (s[i] - '0');
    if (i == 0) return std::nullopt;
    return Timestamp::FromMicros((neg ? -ms : ms) * 1000);
  }
  CivilTime c;
  if (!Digits(s, 0, 4, &c.year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &c.month) ||
      s[7] != '-' || !Digits(s, 8, 2, &c.day)) {
    return std::nullopt;
  }
  size_t p = 10;
  int64_t offset_s = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    ++p;
    if (!Digits(s, p, 2, &c.hour) || p + 2 >= s.size() || s[p + 2] != ':' ||
        !Digits(s, p + 3, 2, &c.minute)) {
      return std::nullopt;
    }
    p += 5;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &c.second)) return std::nullopt;
      p += 3;
    }
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int scale = 100000, us = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        us += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      c.micros = us;
    }
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
      ++p;
    } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      int hh = 0, mm = 0;
      int sign = s[p] == '-' ? -1 : 1;
      if (!Digits(s, p + 1, 2, &hh)) return std::nullopt;
      size_t q = p + 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (!Digits(s, q, 2, &mm))
        mm = 0, q -= 0;
      else
        q += 2;
      offset_s = sign * (hh * 3600 + mm * 60);
      p = q;
    }
  }
  if (p != s.size() || !ValidCivil(c)) return std::nullopt;
  return Timestamp::FromCivil(c) - offset_s * kMicrosPerSecond;
}

std::optional<Timestamp> ParseLocaleTime(std::string_view s) {
  s = Trim(s);
  // M/D/YYYY or D.M.YYYY, then H:MM[:SS] [AM|PM]
  int a = 0, b = 0;
  size_t p = 0;
  auto number = [&](int* out, size_t max) {
    size_t start = p;
    *out = 0;
    while (p < s.size() && p - start < max && s[p] >= '0' && s[p] <= '9') {
      *out = *out * 10 + (s[p] - '0');
      ++p;
    }
    return p > start;
  };
  if (!number(&a, 2) || p >= s.size()) return std::nullopt;
  char sep = s[p];
  if (sep != '/' && sep != '.') return std::nullopt;
  ++p;
  if (!number(&b, 2) || p >= s.size() || s[p] != sep) return std::nullopt;
  ++p;
  CivilTime c;
  if (!number(&c.year, 4) || c.year < 1970) return std::nullopt;
  if (sep == '/') {
    c.month = a;
    c.day = b;
  } else {
    c.day = a;
    c.month = b;
  }
  if (p < s.size() && s[p] == ' ') {
    ++p;
    if (!number(&c.hour, 2) || p >= s.size() || s[p] != ':') return std::nullopt;
    ++p;
    if (!number(&c.minute, 2)) return std::nullopt;
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!number(&c.second, 2)) return std::nullopt;
    }
    std::string_view rest = Trim(s.substr(p));
    if (KeyIs(rest, "pm")) {
      if (c.hour < 12) c.hour += 12;
    } else if (KeyIs(rest, "am")) {
      if (c.hour == 12) c.hour = 0;
    } else if (!rest.empty()) {
      return std::nullopt;
    }
  } else if (p != s.size()) {
    return std::nullopt;
  }
  if (!ValidCivil(c)) return std::nullopt;
  return Timestamp::FromCivil(c);
}

bool ParseClientEndpoint(std::string_view s, std::optional<IpAddress>* ip, int* port) {
  s = Trim(s);
  *port = -1;
  if (s.empty()) return false;
  if (s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    auto a = ParseIp(UpTo(s.substr(1, close - 1), "%"));
    if (!a) return false;
    *ip = a;
    if (close + 1 < s.size() && s[close + 1] == ':') {
      auto n = ParseInt(s.substr(close + 2));
      if (n && *n >= 0 && *n <= 65535) *port = static_cast<int>(*n);
    }
    return true;
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    // a.b.c.d:port
    auto a = ParseIp(s.substr(0, colon));
    if (!a) return false;
    *ip = a;
    auto n = ParseInt(s.substr(colon + 1));
    if (n && *n >= 0 && *n <= 65535) *port = static_cast<int>(*n);
    return true;
  }
  auto a = ParseIp(UpTo(s, "%"));
  if (!a) return false;
  *ip = a;
  return true;
}

const char* ProtocolForClientApp(std::string_view app) {
  if (KeyIs(app, "authenticated smtp") || KeyIs(app, "smtp")) return "submission";
  if (KeyIs(app, "imap4") || KeyIs(app, "imap")) return "imap";
  if (KeyIs(app, "pop3") || KeyIs(app, "pop")) return "pop3";
  if (KeyIs(app, "exchange activesync")) return "activesync";
  if (KeyIs(app, "exchange web services")) return "ews";
  if (KeyIs(app, "browser")) return "web";
  if (app.empty()) return "";
  return "other";
}

}  // namespace mxir::logs
