// SessionEvents: builds the Events (spec/events.md) of one SMTP session — the fields every event
// shares (session, addresses, protocol, origin) and one helper per kind — and hands them to the
// SmtpSink. Each event gets `origin.packet` (the packet being processed when it was made) and
// `origin.index` (its rank among the events made from that packet), so re-reading a capture
// yields the same identities.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/event.h"
#include "core/stream_handler.h"
#include "core/timestamp.h"

namespace mxir::smtp {

class AuthDecoder;
class SmtpSink;
struct SessionInfo;

class SessionEvents {
 public:
  // Both must outlive this object.
  SessionEvents(const SessionInfo& info, SmtpSink* sink);

  void SetPacket(Timestamp ts, int64_t packet);
  // Only the time: for events made when the connection ends, whose triggering packet may belong
  // to another connection (an idle timeout, the end of the capture). They keep this session's
  // last packet, so (packet, index) stays unique among all events of a capture.
  void SetTime(Timestamp ts) { ts_ = ts; }
  // A new event of `kind` with the shared fields filled; not yet emitted.
  Event Make(EventKind kind);
  // The same on the heap, for events that wait (for a reply, for the end of a body).
  std::unique_ptr<Event> MakeNew(EventKind kind);
  void Emit(Event&& event);

  void SessionStart();
  void SessionEnd(stream::EndState state, int64_t bytes_c2s, int64_t bytes_s2c, int64_t gaps);
  void Gap(const char* direction, uint64_t bytes);
  void Helo(std::string_view name, bool esmtp);
  void Tls(const char* how, std::string_view sni);
  void Auth(const AuthDecoder& auth, const char* outcome, int code);
  void Reply(int code, std::string_view text, std::string_view command);
  // Fills a message event's header fields (RFC 2047 decoded) from one top-level header.
  static void ApplyHeader(Event& message, std::string_view name, std::string_view value);

 private:
  void Fill(Event& e, EventKind kind);

  const SessionInfo& info_;
  SmtpSink* sink_;
  std::string protocol_;
  Timestamp ts_;
  int64_t packet_ = -1;
  int index_ = 0;
};

}  // namespace mxir::smtp
