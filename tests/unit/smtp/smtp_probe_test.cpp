// SmtpProbe: SMTP on any port recognised by its content (220 greeting, then EHLO/HELO).
#include "smtp/smtp_probe.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mxir::smtp {
namespace {

using stream::Direction;

struct Recorder final : stream::StreamHandler {
  std::string* out;
  explicit Recorder(std::string* o) : out(o) {}
  void OnData(Direction d, const uint8_t* data, size_t len, Timestamp, int64_t) override {
    *out += d == Direction::kClientToServer ? "C:" : "S:";
    out->append(reinterpret_cast<const char*>(data), len);
  }
  void OnGap(Direction, uint64_t, Timestamp, int64_t) override { *out += "[gap]"; }
  void OnEnd(stream::EndState, Timestamp, int64_t) override { *out += "[end]"; }
};

void Feed(SmtpProbe& p, Direction d, const std::string& s) {
  p.OnData(d, reinterpret_cast<const uint8_t*>(s.data()), s.size(), Timestamp(), 1);
}

TEST(SmtpProbe, GreetingThenEhloIsSmtpAndEverythingIsReplayedInOrder) {
  for (const std::string hello : {"EHLO client.example\r\n", "helo x\r\n"}) {
    std::string seen;
    Counters c;
    SmtpProbe p([&] { return std::make_unique<Recorder>(&seen); }, &c);
    Feed(p, Direction::kServerToClient, "22");  // split across segments
    Feed(p, Direction::kServerToClient, "0 mx.example ESMTP\r\n");
    Feed(p, Direction::kClientToServer, hello.substr(0, 3));
    EXPECT_EQ(p.state(), SmtpProbe::State::kProbing);
    Feed(p, Direction::kClientToServer, hello.substr(3));
    EXPECT_EQ(p.state(), SmtpProbe::State::kSmtp);
    Feed(p, Direction::kServerToClient, "250 ok\r\n");
    p.OnEnd(stream::EndState::kClosed, Timestamp(), 2);
    EXPECT_EQ(seen, "S:22S:0 mx.example ESMTP\r\nC:" + hello.substr(0, 3) + "C:" + hello.substr(3) +
                        "S:250 ok\r\n[end]");
    EXPECT_EQ(c.Get("smtp_recognised_by_content"), 1);
  }
}

TEST(SmtpProbe, OtherProtocolsAreNotSmtpAndNothingIsEmitted) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "GET / HTTP/1.1\r\n"},                         // the client speaks first
      {"SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-x\r\n"},       // another greeting
      {"220 ftp.example FTP\r\n", "USER anonymous\r\n"},  // FTP: 220, but no EHLO/HELO
      {"2201\r\n", "EHLO x\r\n"},
  };
  for (const auto& [server, client] : cases) {
    std::string seen;
    Counters c;
    SmtpProbe p([&] { return std::make_unique<Recorder>(&seen); }, &c);
    if (!server.empty()) Feed(p, Direction::kServerToClient, server);
    Feed(p, Direction::kClientToServer, client);
    p.OnEnd(stream::EndState::kClosed, Timestamp(), 2);
    EXPECT_EQ(p.state(), SmtpProbe::State::kNotSmtp) << server << client;
    EXPECT_EQ(seen, "");
    EXPECT_EQ(c.Get("flows_not_smtp"), 1);
  }
}

TEST(SmtpProbe, TooManyBytesOrAGapBeforeDecidingEndsTheProbe) {
  std::string seen;
  SmtpProbe p([&] { return std::make_unique<Recorder>(&seen); }, nullptr);
  Feed(p, Direction::kServerToClient, "220-" + std::string(SmtpProbe::kMaxHeld, 'x'));
  EXPECT_EQ(p.state(), SmtpProbe::State::kNotSmtp);
  SmtpProbe q([&] { return std::make_unique<Recorder>(&seen); }, nullptr);
  Feed(q, Direction::kServerToClient, "220 x\r\n");
  q.OnGap(Direction::kClientToServer, 10, Timestamp(), 2);
  EXPECT_EQ(q.state(), SmtpProbe::State::kNotSmtp);
  EXPECT_EQ(seen, "");
}

}  // namespace
}  // namespace mxir::smtp
