// libFuzzer target for SmtpProbe. Input format (as the SMTP decoder's fuzzer): a sequence of
// records [control byte][length byte][length bytes of data]; the control byte's low bit picks the
// direction, 0x02 makes the record a gap instead of data, 0x04 feeds the data one byte per
// OnData call. A truncated last record is fed as it is; every flow ends with OnEnd. The first
// byte's 0x80 makes the factory fail (the probe must then treat the flow as not SMTP).
//
// Besides "no crash, no leak, no undefined behaviour", the probe's promises are checked and a
// broken one aborts: once SMTP, the session behind it has received every data byte of each
// direction in order, nothing more (no byte lost or invented while probing); a flow judged not
// SMTP never becomes SMTP again and makes no session; the factory is called at most once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/counters.h"
#include "core/event_json.h"
#include "core/secret_fingerprint.h"
#include "smtp/smtp_probe.h"
#include "smtp/smtp_session.h"
#include "smtp/zeek_log_writer.h"

namespace {

using mxir::stream::Direction;

class FuzzSink : public mxir::smtp::SmtpSink {
 public:
  void OnEvent(mxir::Event&& e) override {
    buffer_.clear();
    mxir::AppendEventJson(buffer_, e);
  }
  void OnZeekRecord(mxir::smtp::ZeekSmtpRecord&& r) override {
    buffer_.clear();
    mxir::smtp::ZeekLogWriter::AppendRow(buffer_, r);
  }

 private:
  std::string buffer_;
};

// What the handler behind the probe was given, per direction; forwards to a real SmtpSession.
struct Seen {
  std::string c2s, s2c;
  bool ended = false;
};

class Recorder : public mxir::stream::StreamHandler {
 public:
  Recorder(Seen* seen, std::unique_ptr<mxir::smtp::SmtpSession> session)
      : seen_(seen), session_(std::move(session)) {}
  void OnData(Direction dir, const uint8_t* data, size_t len, mxir::Timestamp ts,
              int64_t packet) override {
    if (seen_->ended) std::abort();
    (dir == Direction::kClientToServer ? seen_->c2s : seen_->s2c)
        .append(reinterpret_cast<const char*>(data), len);
    session_->OnData(dir, data, len, ts, packet);
  }
  void OnGap(Direction dir, uint64_t bytes, mxir::Timestamp ts, int64_t packet) override {
    if (seen_->ended) std::abort();
    session_->OnGap(dir, bytes, ts, packet);
  }
  void OnEnd(mxir::stream::EndState state, mxir::Timestamp ts, int64_t packet) override {
    if (seen_->ended) std::abort();
    seen_->ended = true;
    session_->OnEnd(state, ts, packet);
  }

 private:
  Seen* seen_;
  std::unique_ptr<mxir::smtp::SmtpSession> session_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mxir::SecretFingerprinter fingerprinter(std::array<uint8_t, 32>{4, 5, 6});
  FuzzSink sink;
  mxir::Counters counters;
  mxir::smtp::SessionInfo info;
  info.flow.id = "Cprobe";
  info.flow.server_port = 31337;
  mxir::smtp::SmtpLimits limits;
  limits.max_line_bytes = 512;
  limits.max_header_bytes = 1024;
  limits.max_pending_commands = 16;
  limits.max_addresses = 8;
  limits.max_invalid_mail_transactions = 5;
  const bool factory_fails = size > 0 && (data[0] & 0x80);
  Seen seen;
  int made = 0;
  mxir::smtp::SmtpProbe probe(
      [&]() -> std::unique_ptr<mxir::stream::StreamHandler> {
        ++made;
        if (factory_fails) return nullptr;
        return std::make_unique<Recorder>(
            &seen, std::make_unique<mxir::smtp::SmtpSession>(info, &sink, &fingerprinter, &counters,
                                                             limits));
      },
      &counters);
  // The data given to the probe before and after it decided: all of it must reach the session.
  std::string fed_c2s, fed_s2c;
  bool rejected = false;
  mxir::Timestamp ts = mxir::Timestamp::FromSeconds(1);
  int64_t packet = 1;
  size_t i = 0;
  while (i < size) {
    const uint8_t control = data[i++];
    const size_t len = i < size ? data[i++] : 0;
    const size_t n = std::min(len, size - i);
    const auto dir = (control & 1) ? Direction::kServerToClient : Direction::kClientToServer;
    ++packet;
    ts = ts + 1000;
    if (control & 2) {
      probe.OnGap(dir, len, ts, packet);
    } else {
      (dir == Direction::kClientToServer ? fed_c2s : fed_s2c)
          .append(reinterpret_cast<const char*>(data + i), n);
      if (control & 4) {
        for (size_t k = 0; k < n; ++k) probe.OnData(dir, data + i + k, 1, ts, packet);
      } else {
        probe.OnData(dir, data + i, n, ts, packet);
      }
      i += n;
    }
    if (probe.state() == mxir::smtp::SmtpProbe::State::kNotSmtp) rejected = true;
    if (rejected && probe.state() != mxir::smtp::SmtpProbe::State::kNotSmtp) std::abort();
    if (made > 1) std::abort();
  }
  const auto state = probe.state();
  probe.OnEnd(mxir::stream::EndState::kClosed, ts, packet + 1);
  if (state == mxir::smtp::SmtpProbe::State::kSmtp) {
    // Held bytes replayed and later bytes passed on: the session saw exactly what was fed.
    if (made != 1 || factory_fails || !seen.ended) std::abort();
    if (seen.c2s != fed_c2s || seen.s2c != fed_s2c) std::abort();
  } else if (seen.ended || !seen.c2s.empty() || !seen.s2c.empty()) {
    std::abort();  // not SMTP (or undecided at the end): nothing may reach a session
  }
  if (probe.state() == mxir::smtp::SmtpProbe::State::kSmtp && state != probe.state()) std::abort();
  return 0;
}
