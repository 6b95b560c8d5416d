// libFuzzer target for SmtpSession. Input format: a sequence of records
//   [control byte][length byte][length bytes of data]
// where the control byte's low bit picks the direction, 0x02 makes the record a gap instead of
// data, and 0x04 splits the data into one OnData call per byte. A truncated last record is fed
// as it is. Every session ends with OnEnd. Small limits make the limit paths reachable.
#include <cstddef>
#include <cstdint>

#include "core/counters.h"
#include "core/event_json.h"
#include "core/secret_fingerprint.h"
#include "smtp/smtp_session.h"
#include "smtp/zeek_log_writer.h"

namespace {

class FuzzSink : public mxir::smtp::SmtpSink {
 public:
  void OnEvent(mxir::Event&& e) override {
    buffer_.clear();
    mxir::AppendEventJson(buffer_, e);  // exercise serialisation of every event
  }
  void OnZeekRecord(mxir::smtp::ZeekSmtpRecord&& r) override {
    buffer_.clear();
    mxir::smtp::ZeekLogWriter::AppendRow(buffer_, r);
  }

 private:
  std::string buffer_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mxir::SecretFingerprinter fingerprinter(std::array<uint8_t, 32>{1, 2, 3});
  FuzzSink sink;
  mxir::Counters counters;
  mxir::smtp::SessionInfo info;
  info.flow.id = "Cfuzz";
  info.flow.server_port = 25;
  mxir::smtp::SmtpLimits limits;
  limits.max_line_bytes = 512;
  limits.max_header_bytes = 1024;
  limits.max_pending_commands = 16;
  limits.max_addresses = 8;
  limits.max_invalid_mail_transactions = 5;
  mxir::smtp::SmtpSession session(info, &sink, &fingerprinter, &counters, limits);
  mxir::Timestamp ts = mxir::Timestamp::FromSeconds(1);
  int64_t packet = 1;
  size_t i = 0;
  while (i < size) {
    const uint8_t control = data[i++];
    const size_t len = i < size ? data[i++] : 0;
    const size_t n = std::min(len, size - i);
    const auto dir = (control & 1) ? mxir::stream::Direction::kServerToClient
                                   : mxir::stream::Direction::kClientToServer;
    ++packet;
    ts = ts + 1000;
    if (control & 2) {
      session.OnGap(dir, len, ts, packet);
    } else if (control & 4) {
      for (size_t k = 0; k < n; ++k) session.OnData(dir, data + i + k, 1, ts, packet);
    } else {
      session.OnData(dir, data + i, n, ts, packet);
    }
    if (!(control & 2)) i += n;
  }
  session.OnEnd(mxir::stream::EndState::kClosed, ts, packet + 1);
  return 0;
}
