#include "smtp/zeek_log_writer.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace mxir::smtp {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexEscape(std::string& out, uint8_t c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// Length of a valid UTF-8 multi-byte sequence starting at s[i] (2..4), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  size_t len;
  uint32_t min;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = b0 & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void AppendTime(std::string& out, Timestamp ts) {
  const int64_t us = ts.micros();
  const int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  const int64_t frac = us - sec * 1000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, sec, frac);
  out += buf;
}

void AppendLogTime(std::string& out, Timestamp ts) {
  const CivilTime c = ts.ToCivil();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d-%02d-%02d-%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  out += buf;
}

void AppendString(std::string& out, const std::optional<std::string>& v) {
  if (!v) {
    out += '-';
  } else if (v->empty()) {
    out += "(empty)";
  } else {
    ZeekLogWriter::AppendEscaped(out, *v, false);
  }
}

void AppendSet(std::string& out, const std::optional<std::vector<std::string>>& v) {
  if (!v) {
    out += '-';
    return;
  }
  if (v->empty()) {
    out += "(empty)";
    return;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    if (i) out += ',';
    if ((*v)[i].empty()) {
      out += "(empty)";
    } else {
      ZeekLogWriter::AppendEscaped(out, (*v)[i], true);
    }
  }
}

}  // namespace

void AddToSet(std::optional<std::vector<std::string>>& set, std::string value) {
  if (!set) set.emplace();
  if (std::find(set->begin(), set->end(), value) == set->end()) set->push_back(std::move(value));
}

ZeekLogWriter::ZeekLogWriter(std::ostream& out, Timestamp open_time)
    : out_(out), open_time_(open_time) {}

void ZeekLogWriter::AppendEscaped(std::string& out, std::string_view value, bool in_set) {
  if (value == "-") {
    out += "\\x2d";
    return;
  }
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<uint8_t>(value[i]);
    if (c >= 0x20 && c < 0x7f) {
      if (c == '\\' || (in_set && c == ',')) {
        AppendHexEscape(out, c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
    } else if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(value, i);
      if (n) {
        out.append(value.data() + i, n);
        i += n;
      } else {
        AppendHexEscape(out, c);
        ++i;
      }
    } else {
      AppendHexEscape(out, c);  // control bytes, including the tab separator
      ++i;
    }
  }
}

void ZeekLogWriter::AppendHeader(std::string& out, Timestamp open_time) {
  out +=
      "#separator \\x09\n"
      "#set_separator\t,\n"
      "#empty_field\t(empty)\n"
      "#unset_field\t-\n"
      "#path\tsmtp\n"
      "#open\t";
  AppendLogTime(out, open_time);
  out +=
      "\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\thelo\t"
      "mailfrom\trcptto\tdate\tfrom\tto\tcc\treply_to\tmsg_id\tin_reply_to\tsubject\t"
      "x_originating_ip\tfirst_received\tsecond_received\tlast_reply\tpath\tuser_agent\ttls\t"
      "fuids\n"
      "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tset[string]\tstring\t"
      "string\tset[string]\tset[string]\tstring\tstring\tstring\tstring\taddr\tstring\tstring\t"
      "string\tvector[addr]\tstring\tbool\tvector[string]\n";
}

void ZeekLogWriter::AppendRow(std::string& out, const ZeekSmtpRecord& r) {
  AppendTime(out, r.ts);
  out += '\t';
  if (r.uid.empty()) {
    out += "(empty)";
  } else {
    AppendEscaped(out, r.uid, false);
  }
  out += '\t';
  r.orig_h.AppendTo(out);
  out += '\t';
  out += std::to_string(r.orig_p);
  out += '\t';
  r.resp_h.AppendTo(out);
  out += '\t';
  out += std::to_string(r.resp_p);
  out += '\t';
  out += std::to_string(r.trans_depth);
  out += '\t';
  AppendString(out, r.helo);
  out += '\t';
  AppendString(out, r.mailfrom);
  out += '\t';
  AppendSet(out, r.rcptto);
  out += '\t';
  AppendString(out, r.date);
  out += '\t';
  AppendString(out, r.from);
  out += '\t';
  AppendSet(out, r.to);
  out += '\t';
  AppendSet(out, r.cc);
  out += '\t';
  AppendString(out, r.reply_to);
  out += '\t';
  AppendString(out, r.msg_id);
  out += '\t';
  AppendString(out, r.in_reply_to);
  out += '\t';
  AppendString(out, r.subject);
  out += '\t';
  if (r.x_originating_ip) {
    r.x_originating_ip->AppendTo(out);
  } else {
    out += '-';
  }
  out += '\t';
  AppendString(out, r.first_received);
  out += '\t';
  AppendString(out, r.second_received);
  out += '\t';
  AppendString(out, r.last_reply);
  out += '\t';
  if (r.path.empty()) {
    out += "(empty)";
  } else {
    for (size_t i = 0; i < r.path.size(); ++i) {
      if (i) out += ',';
      r.path[i].AppendTo(out);
    }
  }
  out += '\t';
  AppendString(out, r.user_agent);
  out += '\t';
  out += r.tls ? 'T' : 'F';
  out += '\t';
  AppendSet(out, r.fuids);
  out += '\n';
}

void ZeekLogWriter::AppendClose(std::string& out, Timestamp close_time) {
  out += "#close\t";
  AppendLogTime(out, close_time);
  out += '\n';
}

void ZeekLogWriter::EnsureHeader() {
  if (header_written_) return;
  header_written_ = true;
  buffer_.clear();
  AppendHeader(buffer_, open_time_);
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
}

void ZeekLogWriter::Write(const ZeekSmtpRecord& record) {
  EnsureHeader();
  buffer_.clear();
  AppendRow(buffer_, record);
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
}

void ZeekLogWriter::Close(Timestamp close_time) {
  if (closed_) return;
  EnsureHeader();
  closed_ = true;
  buffer_.clear();
  AppendClose(buffer_, close_time);
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  out_.flush();
}

}  // namespace mxir::smtp
