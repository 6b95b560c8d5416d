#include "smtp/smtp_probe.h"

#include <cctype>

namespace mxir::smtp {

namespace {

// 1: matches, 0: cannot match, -1: too short to say yet.
int Greeting(const std::vector<uint8_t>& s) {
  const char want[] = "220";
  for (size_t i = 0; i < 3; ++i) {
    if (i >= s.size()) return -1;
    if (s[i] != static_cast<uint8_t>(want[i])) return 0;
  }
  if (s.size() < 4) return -1;
  return s[3] == ' ' || s[3] == '-' || s[3] == '\r' ? 1 : 0;
}

int Hello(const std::vector<uint8_t>& c) {
  for (size_t i = 0; i < 4; ++i) {
    if (i >= c.size()) return -1;
    const int ch = std::toupper(c[i]);
    const char* word = std::toupper(c[0]) == 'E' ? "EHLO" : "HELO";
    const bool ok = ch == word[i];
    if (!ok) return 0;
  }
  if (c.size() < 5) return -1;
  return c[4] == ' ' || c[4] == '\r' || c[4] == '\n' ? 1 : 0;
}

}  // namespace

void SmtpProbe::Reject() {
  state_ = State::kNotSmtp;
  held_.clear();
  held_.shrink_to_fit();
  if (counters_) counters_->Add("flows_not_smtp");
}

void SmtpProbe::Decide() {
  const int g = Greeting(server_);
  if (g == 0 || (server_.empty() && !client_.empty())) return Reject();  // the server speaks first
  if (g < 0) return;
  const int h = Hello(client_);
  if (h == 0) return Reject();
  if (h < 0) return;
  state_ = State::kSmtp;
  if (counters_) counters_->Add("smtp_recognised_by_content");
  inner_ = make_();
  if (!inner_) return Reject();
  for (const Chunk& c : held_)
    inner_->OnData(c.dir, c.bytes.data(), c.bytes.size(), c.ts, c.packet);
  held_.clear();
  held_.shrink_to_fit();
}

void SmtpProbe::OnData(stream::Direction dir, const uint8_t* data, size_t len, Timestamp ts,
                       int64_t packet) {
  if (state_ == State::kSmtp) return inner_->OnData(dir, data, len, ts, packet);
  if (state_ == State::kNotSmtp) return;
  held_bytes_ += len;
  if (held_bytes_ > kMaxHeld) return Reject();
  held_.push_back({dir, std::vector<uint8_t>(data, data + len), ts, packet});
  auto& first = dir == stream::Direction::kServerToClient ? server_ : client_;
  for (size_t i = 0; i < len && first.size() < 8; ++i) first.push_back(data[i]);
  Decide();
}

void SmtpProbe::OnGap(stream::Direction dir, uint64_t bytes, Timestamp ts, int64_t packet) {
  if (state_ == State::kSmtp) return inner_->OnGap(dir, bytes, ts, packet);
  if (state_ == State::kProbing) Reject();
}

void SmtpProbe::OnEnd(stream::EndState state, Timestamp ts, int64_t packet) {
  if (state_ == State::kSmtp) return inner_->OnEnd(state, ts, packet);
  if (state_ == State::kProbing && counters_) counters_->Add("flows_not_smtp");
  state_ = State::kNotSmtp;
}

}  // namespace mxir::smtp
