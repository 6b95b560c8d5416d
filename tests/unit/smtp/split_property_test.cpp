// The Envoy-style decoder properties: however the bytes are cut into OnData calls (one byte at a
// time, random cut points) or merged (several writes in one segment), the events and Zeek rows
// are the same as for the whole stream. Fixed seeds, bounded loops.
#include <random>

#include <gtest/gtest.h>

#include "session_harness.h"

namespace mxir::smtp::testing {
namespace {

const std::vector<Step>& Conversation() {
  static const std::vector<Step> steps = {
      S("220-mx.example.com ESMTP\r\n220 no UCE\r\n"),
      C("EHLO client.example.org\r\n"),
      S("250-mx.example.com\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 AUTH PLAIN LOGIN\r\n"),
      C("AUTH LOGIN\r\n"),
      S("334 VXNlcm5hbWU6\r\n"),
      C("YWxpY2VAZXhhbXBsZS5jb20=\r\n"),
      S("334 UGFzc3dvcmQ6\r\n"),
      C("V2ludGVyMjAyNCE=\r\n"),
      S("535 5.7.8 failed\r\n"),
      C("AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAFN1bW1lcjIwMjU/\r\n"),
      S("235 2.7.0 ok\r\n"),
      C("MAIL FROM:<alice@example.com> BODY=8BITMIME\r\nRCPT TO:<b@example.net>\r\n"
        "RCPT TO:<c@example.net> ORCPT=rfc822;c@example.net\r\nDATA\r\n"),
      S("250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n354 go ahead\r\n"),
      C("Received: from x ([198.51.100.7])\r\n\tby y\r\nFrom: =?utf-8?q?Al=C3=AFce?= <alice@"
        "example.com>\r\nTo: b@example.net, c@example.net\r\nSubject: pipelined\r\n\r\n"
        "..leading dot\r\nbody\r\n.\r\n"),
      S("250 2.0.0 queued as 1\r\n"),
      C("MAIL FROM:<alice@example.com>\r\nRCPT TO:<d@example.net>\r\nBDAT 29\r\n"
        "Subject: chunk\r\nX-Mailer: m\r\n"),
      S("250 ok\r\n250 ok\r\n250 29 octets\r\n"),
      C("BDAT 8 LAST\r\n\r\nbody\r\n"),
      S("250 2.0.0 queued as 2\r\n"),
      C("RSET\r\nNOOP\r\n"),
      S("250 ok\r\n250 ok\r\n"),
      C("STARTTLS\r\n"),
      S("220 go\r\n"),
      C(std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10)),
      S(std::string("\x16\x03\x03\x00\x02\x00\x00", 7)),
  };
  return steps;
}

// Events without their provenance (packet, time): what merging segments may change.
std::string Semantic(const Output& out) {
  std::string s;
  for (Event e : out.events) {
    e.ts = Timestamp();
    e.origin.packet = -1;
    e.origin.index = 0;
    e.duration_s.reset();
    AppendEventJson(s, e);
    s += '\n';
  }
  for (ZeekSmtpRecord r : out.rows) {
    r.ts = Timestamp();
    ZeekLogWriter::AppendRow(s, r);
  }
  return s;
}

TEST(SmtpSplitProperty, WholeStreamIsSane) {
  const Output out = RunSession(Conversation());
  EXPECT_EQ(out.All(EventKind::kAuth).size(), 2u);
  EXPECT_EQ(out.All(EventKind::kMessage).size(), 2u);
  EXPECT_EQ(out.rows.size(), 3u);  // two messages and the STARTTLS row
  ASSERT_NE(out.First(EventKind::kTls), nullptr);
}

TEST(SmtpSplitProperty, OneBytePerCall) {
  const auto& steps = Conversation();
  const Output whole = RunSession(steps);
  std::vector<std::vector<size_t>> chunks(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) chunks[i].assign(steps[i].bytes.size(), 1);
  const Output bytewise = RunSession(steps, {}, 25, &chunks);
  EXPECT_EQ(whole.events_jsonl, bytewise.events_jsonl);
  EXPECT_EQ(whole.rows_tsv, bytewise.rows_tsv);
  EXPECT_EQ(whole.counters.ToJson(), bytewise.counters.ToJson());
}

TEST(SmtpSplitProperty, RandomCutPoints) {
  const auto& steps = Conversation();
  const Output whole = RunSession(steps);
  std::mt19937 rng(20261123);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<size_t>> chunks(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t left = steps[i].bytes.size();
      while (left > 0) {
        const size_t n = std::min(left, static_cast<size_t>(rng() % 9) + 1);
        chunks[i].push_back(n);
        left -= n;
      }
    }
    const Output cut = RunSession(steps, {}, 25, &chunks);
    ASSERT_EQ(whole.events_jsonl, cut.events_jsonl) << "round " << round;
    ASSERT_EQ(whole.rows_tsv, cut.rows_tsv) << "round " << round;
  }
}

TEST(SmtpSplitProperty, MergedSegments) {
  // Consecutive writes of the same side merged into one segment.
  const auto& steps = Conversation();
  std::vector<Step> merged;
  for (const Step& s : steps) {
    if (!merged.empty() && merged.back().kind == s.kind) {
      merged.back().bytes += s.bytes;
    } else {
      merged.push_back(s);
    }
  }
  // The client never writes twice in a row here, so also merge the client's pipelined groups
  // with random extra cuts to be sure merging and cutting commute.
  const Output whole = RunSession(steps);
  const Output together = RunSession(merged);
  EXPECT_EQ(Semantic(whole), Semantic(together));
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    // Re-split every step at one random point into two packets.
    std::vector<Step> resplit;
    for (const Step& s : steps) {
      if (s.bytes.size() < 2) {
        resplit.push_back(s);
        continue;
      }
      const size_t cut = 1 + rng() % (s.bytes.size() - 1);
      resplit.push_back({s.kind, s.bytes.substr(0, cut)});
      resplit.push_back({s.kind, s.bytes.substr(cut)});
    }
    ASSERT_EQ(Semantic(whole), Semantic(RunSession(resplit))) << "round " << round;
  }
}

}  // namespace
}  // namespace mxir::smtp::testing
