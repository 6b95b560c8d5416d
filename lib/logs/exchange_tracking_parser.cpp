// exchange-tracking: Exchange Server message tracking logs (MSGTRK*, reference §5.2).
//
// Rows by event-id: RECEIVE -> one `message` (sender, the recipients, size, subject,
// message-id; the submitting client's address; for mail a mailbox submitted (source STOREDRIVER,
// directionality Originating) the sender is the account, `user`); SEND, SENDEXTERNAL, DELIVER ->
// `delivery` sent per recipient; FAIL, DSN failures -> bounced; DEFER -> deferred, with the
// recipient-status text and code. Other event ids (NOTIFYMAPI, SUBMIT, AGENTINFO, RESOLVE,
// EXPAND, ...) carry no event and are counted as understood lines.
#include "logs/exchange_log.h"
#include "logs/hosted_parsers.h"

namespace mxir::logs {

namespace {

constexpr const char* kSource = "exchange-tracking";

class ExchangeTrackingParser final : public ExchangeLogParser {
 public:
  const char* name() const override { return kSource; }

 protected:
  bool IsMyLogType(std::string_view type) const override {
    return KeyIs(type, "message tracking log");
  }
  bool LooksLikeMyFields(std::string_view f) const override {
    return Contains(f, "event-id") && Contains(f, "recipient-address") &&
           Contains(f, "sender-address");
  }
  void OnFields() override {
    c_time_ = Column("date-time");
    c_client_ = Column("client-ip");
    c_server_ip_ = Column("server-ip");
    c_server_host_ = Column("server-hostname");
    c_source_ = Column("source");
    c_event_ = Column("event-id");
    c_msgid_ = Column("message-id");
    c_netid_ = Column("network-message-id");
    c_rcpt_ = Column("recipient-address");
    c_status_ = Column("recipient-status");
    c_bytes_ = Column("total-bytes");
    c_subject_ = Column("message-subject");
    c_sender_ = Column("sender-address");
    c_direction_ = Column("directionality");
    c_orig_client_ = Column("original-client-ip");
  }

  bool Row(EventSink& sink) override {
    auto ts = ParseHostedTime(Get(c_time_));
    if (!ts) return false;
    std::string_view ev = Trim(Get(c_event_));
    std::vector<std::string> rcpts;
    std::string_view list = Get(c_rcpt_);
    while (!list.empty()) {
      size_t semi = list.find(';');
      std::string_view one = Trim(list.substr(0, semi));
      if (!one.empty()) rcpts.emplace_back(one);
      list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    }
    std::optional<IpAddress> client;
    int port = -1;
    ParseClientEndpoint(Get(c_client_), &client, &port);
    Event base;
    base.ts = *ts;
    base.source = kSource;
    base.session = SharedString(std::string(Get(c_netid_)));
    base.mail_from.assign(Trim(Get(c_sender_)));
    base.msg_id.assign(Trim(Get(c_msgid_)));
    if (KeyIs(ev, "receive")) {
      Event e = base;
      e.kind = EventKind::kMessage;
      e.client_ip = client;
      if (auto orig = Get(c_orig_client_); !orig.empty()) {
        std::optional<IpAddress> o;
        int p = -1;
        if (ParseClientEndpoint(orig, &o, &p)) e.x_originating_ip.assign(orig);
      }
      e.recipients = std::move(rcpts);
      e.size = ParseInt(Trim(Get(c_bytes_)));
      e.subject.assign(Get(c_subject_));
      e.accepted = true;
      if (KeyIs(Trim(Get(c_source_)), "storedriver") ||
          KeyIs(Trim(Get(c_direction_)), "originating")) {
        e.user = e.mail_from;
      }
      sink.Emit(std::move(e));
      return true;
    }
    const char* status = nullptr;
    if (KeyIs(ev, "send") || KeyIs(ev, "sendexternal") || KeyIs(ev, "deliver")) {
      status = "sent";
    } else if (KeyIs(ev, "fail") || KeyIs(ev, "deliverfail") || KeyIs(ev, "drop")) {
      status = "bounced";
    } else if (KeyIs(ev, "defer")) {
      status = "deferred";
    }
    if (status == nullptr) return true;
    std::string_view rs = Trim(Get(c_status_));
    for (auto& r : rcpts) {
      Event d = base;
      d.kind = EventKind::kDelivery;
      d.rcpt_to = r;
      d.status = status;
      int code = 0;
      std::string_view enhanced, text;
      if (ParseReply(rs, &code, &enhanced, &text)) {
        d.code = code;
        d.enhanced.assign(enhanced);
        d.text.assign(text);
      } else {
        d.text.assign(rs);
      }
      d.relay.assign(Trim(Get(c_server_host_)));
      std::optional<IpAddress> sip;
      int sport = -1;
      if (ParseClientEndpoint(Get(c_server_ip_), &sip, &sport)) d.server_ip = sip;
      sink.Emit(std::move(d));
    }
    return true;
  }

 private:
  int c_time_ = -1, c_client_ = -1, c_server_ip_ = -1, c_server_host_ = -1, c_source_ = -1,
      c_event_ = -1, c_msgid_ = -1, c_netid_ = -1, c_rcpt_ = -1, c_status_ = -1, c_bytes_ = -1,
      c_subject_ = -1, c_sender_ = -1, c_direction_ = -1, c_orig_client_ = -1;
};

}  // namespace

std::unique_ptr<LogParser> MakeExchangeTrackingParser() {
  return std::make_unique<ExchangeTrackingParser>();
}

}  // namespace mxir::logs
