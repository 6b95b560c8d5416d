#include "smtp/protocol_lines.h"

#include <cstring>
#include <limits>

namespace mxir::smtp {
namespace {

constexpr bool IsBlank(char c) { return c == ' ' || c == '\t'; }
constexpr char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view SkipBlanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsBlank(s[i])) ++i;
  return s.substr(i);
}

struct VerbWord {
  const char* word;
  Verb verb;
};

constexpr VerbWord kVerbs[] = {
    {"EHLO", Verb::kEhlo}, {"HELO", Verb::kHelo},
    {"MAIL", Verb::kMail}, {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData}, {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset}, {"QUIT", Verb::kQuit},
    {"AUTH", Verb::kAuth}, {"STARTTLS", Verb::kStartTls},
    {"VRFY", Verb::kVrfy}, {"EXPN", Verb::kExpn},
    {"HELP", Verb::kHelp}, {"NOOP", Verb::kNoop},
    {"ETRN", Verb::kEtrn}, {"TURN", Verb::kTurn},
    {"SEND", Verb::kSend}, {"SOML", Verb::kSoml},
    {"SAML", Verb::kSaml}, {"X-ANONYMOUSTLS", Verb::kXAnonymousTls},
};

}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

const char* VerbName(Verb verb) {
  switch (verb) {
    case Verb::kGreeting:
      return "CONNECT";
    case Verb::kEndOfData:
      return ".";
    case Verb::kAuthAnswer:
      return "AUTH_ANSWER";
    case Verb::kUnknownGap:
      return "(UNKNOWN)";
    case Verb::kUnknown:
      return "(UNKNOWN)";
    default:
      break;
  }
  for (const auto& v : kVerbs) {
    if (v.verb == verb) return v.word;
  }
  return "(UNKNOWN)";
}

Command ParseCommand(std::string_view line) {
  Command cmd;
  line = SkipBlanks(line);
  size_t n = 0;
  while (n < line.size() && !IsBlank(line[n])) ++n;
  cmd.word = line.substr(0, n);
  cmd.arg = SkipBlanks(line.substr(n));
  for (const auto& v : kVerbs) {
    if (EqualsNoCase(cmd.word, v.word)) {
      cmd.verb = v.verb;
      break;
    }
  }
  return cmd;
}

std::optional<ReplyLine> ParseReplyLine(std::string_view line) {
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2])) {
    return std::nullopt;
  }
  ReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (r.code < 100 || r.code > 599) return std::nullopt;
  if (line.size() > 3 && line[3] == '-') {
    r.continued = true;
    r.text = SkipBlanks(line.substr(4));
  } else {
    r.text = SkipBlanks(line.substr(3));
  }
  return r;
}

std::string_view EnhancedStatusCode(std::string_view text) {
  // class "." subject(1-3 digits) "." detail(1-3 digits), followed by a blank or the end.
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') {
    return {};
  }
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i]) && i - start < 3) ++i;
    if (i == start) return {};
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return {};
      ++i;
    }
  }
  if (i < text.size() && !IsBlank(text[i])) return {};
  return text.substr(0, i);
}

std::optional<BdatArgs> ParseBdatArgs(std::string_view arg, const char** reason) {
  constexpr size_t kMaxArg = 25;  // "18446744073709551615 LAST"
  if (arg.empty() || arg.size() > kMaxArg) {
    *reason = "BDAT argument bad length";
    return std::nullopt;
  }
  if (!IsDigit(arg[0])) {
    *reason = "BDAT not followed by a valid chunk-size";
    return std::nullopt;
  }
  uint64_t size = 0;
  size_t i = 0;
  for (; i < arg.size() && IsDigit(arg[i]); ++i) {
    const uint64_t digit = static_cast<uint64_t>(arg[i] - '0');
    if (size > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      *reason = "BDAT chunk-size too large";
      return std::nullopt;
    }
    size = size * 10 + digit;
  }
  BdatArgs out;
  out.size = size;
  if (i < arg.size()) {
    if (arg[i] != ' ') {
      *reason = "BDAT chunk-size not valid";
      return std::nullopt;
    }
    const std::string_view rest = arg.substr(i);
    if (!EqualsNoCase(rest, " LAST")) {
      *reason = "BDAT chunk-size followed by junk";
      return std::nullopt;
    }
    out.last = true;
  }
  if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *reason = "BDAT chunk-size larger than a signed 64-bit integer";
    return std::nullopt;
  }
  return out;
}

}  // namespace mxir::smtp
