#include "logs/hosted_common.h"

#include <algorithm>
#include <cstring>

#include "core/ascii.h"
#include "logs/text_scan.h"

namespace mxir::logs {

// --- text -------------------------------------------------------------------------------------

namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void Utf16ToUtf8(std::string_view raw, bool little, std::string* out) {
  out->clear();
  out->reserve(raw.size() / 2 + 16);
  auto unit = [&](size_t i) -> uint32_t {
    auto a = static_cast<uint8_t>(raw[i]), b = static_cast<uint8_t>(raw[i + 1]);
    return little ? (a | (b << 8)) : ((a << 8) | b);
  };
  size_t n = raw.size() & ~size_t{1};
  for (size_t i = 0; i < n; i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        AppendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
    AppendUtf8(out, u);
  }
}

}  // namespace

bool DecodeText(std::string_view raw, std::string* out) {
  if (raw.size() >= 3 && raw.substr(0, 3) == "\xEF\xBB\xBF") {
    out->assign(raw.substr(3));
    return true;
  }
  if (raw.size() >= 2 && raw[0] == '\xFF' && raw[1] == '\xFE') {
    Utf16ToUtf8(raw.substr(2), true, out);
    return true;
  }
  if (raw.size() >= 2 && raw[0] == '\xFE' && raw[1] == '\xFF') {
    Utf16ToUtf8(raw.substr(2), false, out);
    return true;
  }
  // UTF-16LE without a BOM: ASCII text has a NUL in (nearly) every odd byte and none in the
  // even ones.
  size_t n = std::min<size_t>(raw.size(), 512) & ~size_t{1};
  if (n >= 8) {
    size_t odd_nul = 0, even_nul = 0;
    for (size_t i = 0; i < n; i += 2) {
      even_nul += raw[i] == '\0';
      odd_nul += raw[i + 1] == '\0';
    }
    if (odd_nul * 10 >= (n / 2) * 7 && even_nul * 10 < n / 2) {
      Utf16ToUtf8(raw, true, out);
      return true;
    }
  }
  return false;
}

// --- CSV --------------------------------------------------------------------------------------

bool CsvReader::Next(std::vector<std::string_view>* fields) {
  fields->clear();
  storage_.clear();
  for (;;) {
    if (pos_ >= text_.size()) return false;
    // Skip blank lines.
    if (text_[pos_] == '\n' ||
        (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n')) {
      pos_ += text_[pos_] == '\r' ? 2 : 1;
      ++line_;
      continue;
    }
    break;
  }
  row_line_ = line_;
  storage_.reserve(64);  // views into storage_ stay valid: no reallocation below 64 fields
  for (;;) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      size_t start = ++pos_;
      bool escaped = false;
      size_t end = start;
      for (;;) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) {  // unterminated: take the rest
          end = text_.size();
          pos_ = text_.size();
          break;
        }
        if (q + 1 < text_.size() && text_[q + 1] == '"') {
          escaped = true;
          pos_ = q + 2;
          continue;
        }
        end = q;
        pos_ = q + 1;
        break;
      }
      std::string_view raw = text_.substr(start, end - start);
      line_ += std::count(raw.begin(), raw.end(), '\n');
      if (escaped && storage_.size() < 64) {
        std::string& s = storage_.emplace_back();
        s.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
          s.push_back(raw[i]);
          if (raw[i] == '"' && i + 1 < raw.size() && raw[i + 1] == '"') ++i;
        }
        fields->push_back(s);
      } else {
        fields->push_back(raw);
      }
      // Anything up to the separator after the closing quote is dropped ("a"b -> a).
      while (pos_ < text_.size() && text_[pos_] != sep_ && text_[pos_] != '\n') ++pos_;
    } else {
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != sep_ && text_[pos_] != '\n') ++pos_;
      std::string_view f = text_.substr(start, pos_ - start);
      if (!f.empty() && f.back() == '\r') f.remove_suffix(1);
      fields->push_back(f);
    }
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == sep_) {
      ++pos_;
      if (pos_ >= text_.size()) {
        fields->push_back({});
        return true;
      }
      continue;
    }
    // '\n'
    ++pos_;
    ++line_;
    if (!fields->empty() && !fields->back().empty() && fields->back().back() == '\r') {
      fields->back().remove_suffix(1);
    }
    return true;
  }
}

std::string NormalizeHeader(std::string_view h) {
  h = Trim(h);
  std::string out;
  out.reserve(h.size());
  bool space = false;
  for (char c : h) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

int ColumnIndex(const std::vector<std::string>& headers, std::string_view name) {
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// --- JSON -------------------------------------------------------------------------------------

std::string_view JsonString(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s)) return {};
  return s;
}

std::string JsonScalarText(simdjson::dom::element v) {
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  uint64_t u;
  if (!v.get_uint64().get(u)) return std::to_string(u);
  double d;
  if (!v.get_double().get(d)) return std::to_string(static_cast<int64_t>(d));
  bool b;
  if (!v.get_bool().get(b)) return b ? "true" : "false";
  return {};
}

std::optional<int64_t> JsonInt(simdjson::dom::element v) {
  int64_t i;
  if (!v.get_int64().get(i)) return i;
  std::string_view s;
  if (!v.get_string().get(s)) return ParseInt(Trim(s));
  return std::nullopt;
}

namespace {

void VisitRecords(simdjson::dom::element doc, const char* format, RecordSink& sink,
                  const std::function<void(simdjson::dom::object)>& fn, int depth) {
  simdjson::dom::array arr;
  if (!doc.get_array().get(arr)) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object o;
      if (e.get_object().get(o)) {
        if (depth < 1 && e.is_array()) {  // an array of pages or of arrays
          VisitRecords(e, format, sink, fn, depth + 1);
          continue;
        }
        sink.Count(std::string("skipped.") + format + ".not_an_object");
        continue;
      }
      VisitRecords(e, format, sink, fn, depth + 1);
    }
    return;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    sink.Count(std::string("skipped.") + format + ".not_an_object");
    return;
  }
  // A page or an envelope: {"value": [...]}, {"records": [...]}, {"items": [...]}.
  if (depth < 2) {
    for (auto [key, value] : obj) {
      if ((KeyIs(key, "value") || KeyIs(key, "records") || KeyIs(key, "items")) &&
          value.is_array()) {
        VisitRecords(value, format, sink, fn, depth + 1);
        return;
      }
    }
  }
  fn(obj);
}

}  // namespace

void ForEachJsonRecord(std::string_view text, const char* format, RecordSink& sink,
                       const std::function<void(simdjson::dom::object)>& fn) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string copy;
  const char* data = text.data();
  if (!sink.TextIsPadded()) {
    copy = simdjson::padded_string(text);
    data = copy.data();
  }
  // JSON Lines and concatenated arrays go through in cache-sized batches; a document larger than
  // a batch (one big array) makes the stream fail at once, and is then parsed in one piece.
  constexpr size_t kBatch = size_t{8} << 20;
  size_t batch =
      std::max<size_t>(std::min(text.size() + 64, kBatch), simdjson::dom::MINIMAL_BATCH_SIZE);
  for (int attempt = 0; attempt < 2; ++attempt) {
    simdjson::dom::document_stream stream;
    if (parser.parse_many(data, text.size(), batch).get(stream)) {
      sink.Count(std::string("skipped.") + format + ".bad_json");
      return;
    }
    bool any = false;
    bool too_big = false;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      simdjson::dom::element doc;
      auto err = (*it).get(doc);
      if (err) {
        if (!any && err == simdjson::CAPACITY && batch < text.size() + 64) {
          too_big = true;
          break;
        }
        sink.Count(std::string("skipped.") + format + ".bad_json");
        return;
      }
      any = true;
      VisitRecords(doc, format, sink, fn, 0);
    }
    if (too_big) {
      batch = text.size() + 64;
      continue;
    }
    // A document cut short at the end of the input (a truncated download).
    if (stream.truncated_bytes() > 0) sink.Count(std::string("skipped.") + format + ".bad_json");
    return;
  }
}

// --- field forms ------------------------------------------------------------------------------

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

// --- registry and detection -------------------------------------------------------------------

namespace {}  // namespace

DocumentShape ShapeOfDocument(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return DocumentShape::kEmpty;
  return text[first] == '{' || text[first] == '[' ? DocumentShape::kJson : DocumentShape::kCsv;
}

std::string DetectDocumentFormat(std::string_view head) {
  if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  const DocumentShape shape = ShapeOfDocument(head);
  if (shape == DocumentShape::kEmpty) return "";
  std::string low = AsciiLower(head.substr(head.find_first_not_of(" \t\r\n")));
  auto has = [&](std::string_view s) { return low.find(s) != std::string::npos; };
  if (shape == DocumentShape::kJson) {
    if (has("admin#reports#activit") ||
        (has("\"applicationname\"") && has("\"login\"") && has("\"actor\""))) {
      return "google-login";
    }
    if (has("\"auditlogrecordtype\"") || has("\"auditdata\"") ||
        (has("\"creationtime\"") && has("\"operation\""))) {
      return "m365-audit";
    }
    if (has("\"messagetraceid\"") || (has("\"recipientaddress\"") && has("\"senderaddress\""))) {
      return "m365-trace";
    }
    if ((has("\"createddatetime\"") && (has("\"userprincipalname\"") || has("\"errorcode\""))) ||
        has("\"sign-in activity\"") || has("signinlogs") ||
        (has("\"resulttype\"") && has("\"ipaddress\""))) {
      return "entra-signin";
    }
    return "";
  }
  std::string_view line = UpTo(low, "\n");
  auto in_header = [&](std::string_view s) { return line.find(s) != std::string_view::npos; };
  if (in_header("auditdata") && (in_header("creationdate") || in_header("operation"))) {
    return "m365-audit";
  }
  if ((in_header("date (utc)") && in_header("request id")) ||
      (in_header("timegenerated") && in_header("resulttype")) ||
      (in_header("createddatetime") && in_header("userprincipalname"))) {
    return "entra-signin";
  }
  if ((in_header("received") && in_header("senderaddress") && in_header("recipientaddress")) ||
      in_header("date_time_utc") || in_header("origin_timestamp_utc")) {
    return "m365-trace";
  }
  return "";
}

}  // namespace mxir::logs
