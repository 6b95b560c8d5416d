// SmtpProbe: recognises SMTP on a TCP port outside the known list by its content, like Zeek's
// dynamic protocol detection: the server speaks first with a "220" greeting (220 followed by a
// space or '-') and the client's first command is EHLO or HELO. Until both are seen the bytes are
// held (at most kMaxHeld); then the real handler is made and given everything in order. Any other
// start (client first, another greeting, a gap, too many bytes) ends the probe: the connection is
// not SMTP and nothing is emitted. The port list stays only a hint (those ports skip the probe).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/counters.h"
#include "core/stream_handler.h"

namespace mxir::smtp {

class SmtpProbe final : public stream::StreamHandler {
 public:
  using Make = std::function<std::unique_ptr<stream::StreamHandler>()>;
  static constexpr size_t kMaxHeld = 4096;
  // `counters` (may be null) gets "smtp_recognised_by_content" or "flows_not_smtp" once.
  SmtpProbe(Make make, Counters* counters) : make_(std::move(make)), counters_(counters) {}

  void OnData(stream::Direction dir, const uint8_t* data, size_t len, Timestamp ts,
              int64_t packet) override;
  void OnGap(stream::Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) override;
  void OnEnd(stream::EndState state, Timestamp ts, int64_t packet) override;

  enum class State { kProbing, kSmtp, kNotSmtp };
  State state() const { return state_; }

 private:
  struct Chunk {
    stream::Direction dir;
    std::vector<uint8_t> bytes;
    Timestamp ts;
    int64_t packet;
  };
  void Decide();
  void Reject();

  Make make_;
  Counters* counters_;
  State state_ = State::kProbing;
  std::unique_ptr<stream::StreamHandler> inner_;
  std::vector<Chunk> held_;
  std::vector<uint8_t> server_, client_;  // the first bytes of each direction
  size_t held_bytes_ = 0;
};

}  // namespace mxir::smtp
