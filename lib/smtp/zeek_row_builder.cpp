#include "smtp/zeek_row_builder.h"

#include "smtp/smtp_session.h"
#include "smtp/zeek_addresses.h"

namespace mxir::smtp {

ZeekRowBuilder::ZeekRowBuilder(const stream::FlowInfo& flow, SmtpSink* sink, size_t max_addresses)
    : flow_(flow), sink_(sink), max_addresses_(max_addresses) {}

void ZeekRowBuilder::Open(Timestamp ts) {
  row_.emplace();
  ZeekSmtpRecord& r = *row_;
  r.ts = ts;
  r.uid = flow_.id;
  r.orig_h = flow_.client_ip;
  r.orig_p = flow_.client_port;
  r.resp_h = flow_.server_ip;
  r.resp_p = flow_.server_port;
  r.trans_depth = messages_ + 1;
  r.helo = helo_;
  r.path = {flow_.server_ip, flow_.client_ip};
  has_client_activity_ = false;
  entity_count_ = 0;
}

void ZeekRowBuilder::Touch(Timestamp ts) {
  if (!row_) Open(ts);
}

bool ZeekRowBuilder::Room(size_t current) {
  if (max_addresses_ == 0 || current < max_addresses_) return true;
  ++truncations_;
  return false;
}

void ZeekRowBuilder::WriteIfActive() {
  if (!row_ || !has_client_activity_) return;
  ZeekSmtpRecord record = std::move(*row_);
  row_.reset();
  sink_->OnZeekRecord(std::move(record));
}

void ZeekRowBuilder::OnHelo(std::string_view arg, Timestamp ts) {
  Touch(ts);
  helo_.emplace(arg);
  row_->helo = helo_;
}

void ZeekRowBuilder::OnMailFrom(std::string_view arg, Timestamp ts) {
  Touch(ts);
  if (has_client_activity_) {
    WriteIfActive();
    Open(ts);
  }
  auto addrs = ExtractEmailAddresses(arg);
  if (!addrs.empty() && !addrs.front().empty()) row_->mailfrom = std::move(addrs.front());
  has_client_activity_ = true;
}

void ZeekRowBuilder::OnRcptTo(std::string_view arg, Timestamp ts) {
  Touch(ts);
  if (!row_->rcptto) row_->rcptto.emplace();
  for (std::string& addr : ExtractEmailAddresses(arg)) {
    if (!Room(row_->rcptto->size())) break;
    // Zeek: gsub(/ORCPT=rfc822;?/, "")
    for (size_t p; (p = addr.find("ORCPT=rfc822")) != std::string::npos;) {
      size_t n = 12;
      if (p + n < addr.size() && addr[p + n] == ';') ++n;
      addr.erase(p, n);
    }
    AddToSet(row_->rcptto, std::move(addr));
  }
  has_client_activity_ = true;
}

void ZeekRowBuilder::OnReplyLine(int code, std::string_view text, Timestamp ts) {
  Touch(ts);
  if (!row_->last_reply) row_->last_reply.emplace();
  std::string& reply = *row_->last_reply;  // reused: no allocation per reply line
  reply.clear();
  reply += static_cast<char>('0' + code / 100);
  reply += static_cast<char>('0' + code / 10 % 10);
  reply += static_cast<char>('0' + code % 10);
  reply += ' ';
  reply.append(text);
}

void ZeekRowBuilder::OnMessageAnswered(Timestamp ts) {
  ++messages_;
  WriteIfActive();
  Open(ts);
}

void ZeekRowBuilder::OnStartTls(Timestamp ts) {
  Touch(ts);
  row_->tls = true;
  has_client_activity_ = true;
}

void ZeekRowBuilder::OnMessageBegin(Timestamp ts) {
  Touch(ts);
  ++entity_count_;
}

void ZeekRowBuilder::OnHeader(std::string_view name, std::string_view value, Timestamp ts) {
  Touch(ts);
  if (entity_count_ > 1) return;
  ZeekSmtpRecord& r = *row_;
  if (name == "MESSAGE-ID") {
    r.msg_id.emplace(value);
  } else if (name == "RECEIVED") {
    if (r.first_received) r.second_received = std::move(r.first_received);
    r.first_received.emplace(value);
    // The delivery path (Zeek's second mime_one_header handler, ALL_HOSTS capture).
    if (auto ip = FindAddressInReceived(value)) {
      if (r.path.empty() || r.path.back() != *ip) {
        if (Room(r.path.size())) r.path.push_back(*ip);
      }
    }
  } else if (name == "IN-REPLY-TO") {
    r.in_reply_to.emplace(value);
  } else if (name == "SUBJECT") {
    r.subject.emplace(value);
  } else if (name == "FROM") {
    r.from.emplace(value);
  } else if (name == "REPLY-TO") {
    r.reply_to.emplace(value);
  } else if (name == "DATE") {
    r.date.emplace(value);
  } else if (name == "TO" || name == "CC") {
    auto& set = name == "TO" ? r.to : r.cc;
    if (!set) set.emplace();
    for (std::string& addr : SplitMimeAddresses(value)) {
      if (!Room(set->size())) break;
      AddToSet(set, std::move(addr));
    }
  } else if (name == "X-ORIGINATING-IP") {
    if (auto ip = FirstIpAddress(value)) r.x_originating_ip = *ip;
  } else if (name == "X-MAILER" || name == "USER-AGENT" || name == "X-USER-AGENT") {
    r.user_agent.emplace(value);
  }
}

void ZeekRowBuilder::Finish() { WriteIfActive(); }

}  // namespace mxir::smtp
