// Parsers for single SMTP protocol lines: client commands and server reply lines.
//
// Pure functions over string views (no allocation); the views they return point into the line
// given. Command words are recognised case-insensitively from the set Zeek's analyser knows
// (RFC 5321 plus AUTH, STARTTLS, BDAT, ETRN, ...); anything else is kUnknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mxir::smtp {

enum class Verb : uint8_t {
  kUnknown,
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kQuit,
  kAuth,
  kStartTls,
  kVrfy,
  kExpn,
  kHelp,
  kNoop,
  kEtrn,
  kTurn,
  kSend,
  kSoml,
  kSaml,
  kXAnonymousTls,
  // Pseudo commands: never typed by a client, but replies are paired with them.
  kGreeting,    // the connection itself (the server's banner answers it)
  kEndOfData,   // the "." ending DATA
  kAuthAnswer,  // a client line sent in answer to a 334 challenge
  kUnknownGap,  // whatever was lost in a gap
};

// The upper-case word for a verb ("MAIL", "CONNECT" for kGreeting, "." for kEndOfData, ...).
const char* VerbName(Verb verb);

struct Command {
  Verb verb = Verb::kUnknown;
  std::string_view word;  // as typed
  std::string_view arg;   // after the word and the blanks that follow it
};

// Splits "WORD arg..." (Zeek's get_word + skip_whitespace).
Command ParseCommand(std::string_view line);

struct ReplyLine {
  int code = 0;            // 100..599
  bool continued = false;  // "250-..." (more lines follow)
  std::string_view text;   // after the code, the separator and blanks
};

// A server reply line; nullopt when it does not start with a code in 100..599.
std::optional<ReplyLine> ParseReplyLine(std::string_view line);

// The RFC 3463 enhanced status code at the start of a reply text ("5.7.1"), or empty.
std::string_view EnhancedStatusCode(std::string_view text);

// True when `s` begins with `prefix`, ignoring ASCII case.
bool StartsWithNoCase(std::string_view s, std::string_view prefix);
bool EqualsNoCase(std::string_view a, std::string_view b);

struct BdatArgs {
  uint64_t size = 0;
  bool last = false;
};
// Parses "SIZE [LAST]"; on failure `*reason` names the problem as Zeek's weird does
// ("BDAT argument bad length", "BDAT chunk-size followed by junk", ...).
std::optional<BdatArgs> ParseBdatArgs(std::string_view arg, const char** reason);

}  // namespace mxir::smtp
