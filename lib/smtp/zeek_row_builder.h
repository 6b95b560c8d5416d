// ZeekRowBuilder: Zeek's SMTP script logic (base/protocols/smtp/main.zeek) that decides when an
// smtp.log row is opened and written and what goes into it, driven by SmtpSession.
//
// A row is opened at the first SMTP line of a connection and after each completed transaction;
// it is written when the server answers the end of a message, when a new MAIL FROM starts
// before the previous transaction was answered, and when the connection ends — but only if the
// client did something that counts (MAIL, RCPT or STARTTLS). `trans_depth` counts answered
// messages. Header columns take the message's top-level headers raw, as Zeek does.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/stream_handler.h"
#include "core/timestamp.h"
#include "smtp/zeek_record.h"

namespace mxir::smtp {

class SmtpSink;

class ZeekRowBuilder {
 public:
  // `sink` must outlive the builder; `max_addresses` caps rcptto/to/cc/path (0: no cap).
  ZeekRowBuilder(const stream::FlowInfo& flow, SmtpSink* sink, size_t max_addresses);

  // Zeek's set_smtp_session: called for every request and reply line.
  void Touch(Timestamp ts);
  void OnHelo(std::string_view arg, Timestamp ts);
  void OnMailFrom(std::string_view arg, Timestamp ts);  // arg starts with "FROM:"
  void OnRcptTo(std::string_view arg, Timestamp ts);    // arg starts with "TO:"
  void OnReplyLine(int code, std::string_view text, Timestamp ts);
  // The server answered the end of a message: count it, write the row, open the next.
  void OnMessageAnswered(Timestamp ts);
  void OnStartTls(Timestamp ts);
  // A message body begins (Zeek's mime_begin_entity for the top-level entity). Only the first
  // message of a row has its headers logged: a second one (after a rejected DATA or a gap) is
  // entity 2 to Zeek, whose headers it ignores.
  void OnMessageBegin(Timestamp ts);
  // One top-level message header (upper-case name, raw value).
  void OnHeader(std::string_view name, std::string_view value, Timestamp ts);
  // Connection end (Zeek's finalize_smtp).
  void Finish();

  uint64_t messages_transferred() const { return messages_; }
  // Times a container column hit `max_addresses` (Zeek's smtp_too_many_* weirds).
  int64_t truncations() const { return truncations_; }

 private:
  void Open(Timestamp ts);
  void WriteIfActive();  // Zeek's smtp_message()
  bool Room(size_t current);

  const stream::FlowInfo& flow_;
  SmtpSink* sink_;
  size_t max_addresses_;
  std::optional<ZeekSmtpRecord> row_;
  bool has_client_activity_ = false;
  int entity_count_ = 0;
  std::optional<std::string> helo_;
  uint64_t messages_ = 0;
  int64_t truncations_ = 0;
};

}  // namespace mxir::smtp
