// Zeek TSV output: header lines, unset versus empty, escaping, sets and vectors.
#include "smtp/zeek_log_writer.h"

#include <sstream>

#include <gtest/gtest.h>

namespace mxir::smtp {
namespace {

ZeekSmtpRecord Record() {
  ZeekSmtpRecord r;
  r.ts = Timestamp::FromMicros(1254722767492241);
  r.uid = "CHhAvVGS1DHFjwGM9";
  r.orig_h = *IpAddress::Parse("10.10.1.4");
  r.orig_p = 1470;
  r.resp_h = *IpAddress::Parse("74.53.140.153");
  r.resp_p = 25;
  r.helo = "GP";
  r.mailfrom = "gurpartap@patriots.in";
  AddToSet(r.rcptto, "raj_deol2002in@yahoo.co.in");
  r.last_reply = "250 OK id=1Mugho-0003Dg-Un";
  r.path = {r.resp_h, r.orig_h};
  return r;
}

TEST(ZeekLogWriter, HeaderRowAndClose) {
  std::ostringstream out;
  ZeekLogWriter w(out, Timestamp::FromSeconds(0));
  w.Write(Record());
  w.Close(Timestamp::FromSeconds(60));
  w.Close(Timestamp::FromSeconds(120));  // idempotent
  const std::string s = out.str();
  EXPECT_EQ(s.rfind("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                    "#unset_field\t-\n#path\tsmtp\n#open\t1970-01-01-00-00-00\n#fields\tts\tuid\t",
                    0),
            0u);
  EXPECT_NE(s.find("\n#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring"),
            std::string::npos);
  EXPECT_NE(s.find("\n1254722767.492241\tCHhAvVGS1DHFjwGM9\t10.10.1.4\t1470\t74.53.140.153\t25\t1\t"
                   "GP\tgurpartap@patriots.in\traj_deol2002in@yahoo.co.in\t-\t-\t-\t-\t-\t-\t-\t-\t"
                   "-\t-\t-\t250 OK id=1Mugho-0003Dg-Un\t74.53.140.153,10.10.1.4\t-\tF\t-\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("#close\t1970-01-01-00-01-00\n"), std::string::npos);
  EXPECT_EQ(s.find("#close", s.find("#close") + 1), std::string::npos);
}

TEST(ZeekLogWriter, Escaping) {
  std::string out;
  ZeekLogWriter::AppendEscaped(out, "a\tb\\c\x01", false);
  EXPECT_EQ(out, "a\\x09b\\x5cc\\x01");
  out.clear();
  ZeekLogWriter::AppendEscaped(out, "x,y", true);
  EXPECT_EQ(out, "x\\x2cy");
  out.clear();
  ZeekLogWriter::AppendEscaped(out, "x,y", false);
  EXPECT_EQ(out, "x,y");
  out.clear();
  ZeekLogWriter::AppendEscaped(out, "-", false);
  EXPECT_EQ(out, "\\x2d");
  out.clear();
  ZeekLogWriter::AppendEscaped(out, "caf\xC3\xA9 \xFF", false);  // valid UTF-8 kept
  EXPECT_EQ(out, "caf\xC3\xA9 \\xff");
}

TEST(ZeekLogWriter, UnsetVersusEmpty) {
  ZeekSmtpRecord r = Record();
  r.subject = "";
  r.cc.emplace();
  r.tls = true;
  r.fuids.emplace();
  std::string row;
  ZeekLogWriter::AppendRow(row, r);
  EXPECT_NE(row.find("\t(empty)\t"), std::string::npos);  // empty subject and cc
  EXPECT_NE(row.find("\tT\t(empty)\n"), std::string::npos);
}

}  // namespace
}  // namespace mxir::smtp
