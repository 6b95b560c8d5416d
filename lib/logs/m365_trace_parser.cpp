// m365-trace: Exchange Online message trace (reference §2).
//
// Shapes: `Get-MessageTrace` (V1, with Organization/StartDate/EndDate/Index and the remoting
// columns) and `Get-MessageTraceV2` exported with Export-Csv; the Reporting Web Service and Graph
// `messageTraces` JSON; the EAC "enhanced summary" (origin_timestamp_utc, recipient_status
// "addr##Receive, Send;...") and "extended" reports (date_time_utc, event_id, ... — often
// UTF-16LE without a BOM: the ingester decodes it first). `Received` without a zone is UTC; a
// locale-rendered `Received` ("9/5/2022 6:10:13 PM") is read as US month/day, the PowerShell
// default, and counted as `m365-trace.locale_dates`.
//
// Events: one `delivery` per recipient row (status Delivered -> sent; Pending/GettingStatus ->
// deferred; Failed, FilteredAsSpam, Quarantined, None -> bounced; the provider's status in
// `text`), and one `message` per message (rows joined by MessageTraceId, else by MessageId and
// sender) with all its recipients, emitted at the end. An empty FromIP is normal for mail sent
// from an Exchange Online mailbox: the sender is then the account (`user`) and there is no
// client address.
#include <unordered_map>

#include "logs/hosted_parsers.h"
#include "logs/text_scan.h"

namespace mxir::logs {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr const char* kSource = "m365-trace";

struct TraceRow {
  std::optional<Timestamp> ts;
  bool locale_time = false;
  std::string sender, recipient, subject, status, to_ip, from_ip, message_id, trace_id;
  std::optional<int64_t> size;
  std::string event_id;  // extended report
};

struct PendingMessage {
  int64_t record = 0;
  Event event;
  int failed = 0;
};

const char* DeliveryStatus(std::string_view s) {
  if (KeyIs(s, "delivered") || KeyIs(s, "deliver") || KeyIs(s, "send") ||
      KeyIs(s, "sendexternal") || KeyIs(s, "resolved")) {
    return "sent";
  }
  if (KeyIs(s, "pending") || KeyIs(s, "gettingstatus") || KeyIs(s, "defer")) return "deferred";
  if (KeyIs(s, "failed") || KeyIs(s, "fail") || KeyIs(s, "filteredasspam") ||
      KeyIs(s, "quarantined") || KeyIs(s, "none") || KeyIs(s, "dropped")) {
    return "bounced";
  }
  return "";
}

class M365TraceParser final : public DocumentParser {
 public:
  const char* name() const override { return kSource; }

  void Parse(std::string_view text, RecordSink& sink) override {
    messages_.clear();
    order_.clear();
    const DocumentShape shape = ShapeOfDocument(text);
    if (shape == DocumentShape::kEmpty) return;
    if (shape == DocumentShape::kJson) {
      int64_t n = 0;
      ForEachJsonRecord(text, kSource, sink, [&](object o) {
        sink.SetRecord(++n);
        TraceRow r;
        for (auto [k, v] : o) Take(NormalizeHeader(k), JsonScalarText(v), &r);
        Row(r, n, sink);
      });
    } else {
      ParseCsv(text, sink);
    }
    for (const auto& key : order_) {
      PendingMessage& m = messages_[key];
      sink.SetRecord(m.record);
      m.event.accepted =
          m.failed < static_cast<int>(m.event.recipients.size()) || m.event.recipients.empty();
      sink.Emit(std::move(m.event));
    }
    messages_.clear();
    order_.clear();
  }

 private:
  static void Take(const std::string& h, std::string_view v, TraceRow* r) {
    v = Trim(v);
    if (h == "received" || h == "receiveddatetime" || h == "date_time_utc" ||
        h == "origin_timestamp_utc" || h == "origin_timestamp") {
      r->ts = ParseHostedTime(v);
      if (!r->ts) {
        r->ts = ParseLocaleTime(v);
        r->locale_time = r->ts.has_value();
      }
    } else if (h == "senderaddress" || h == "sender_address") {
      r->sender.assign(v);
    } else if (h == "recipientaddress" || h == "recipient_address") {
      r->recipient.assign(v);
    } else if (h == "recipient_status") {
      if (r->recipient.empty()) r->recipient.assign(v);  // "addr##Receive, Send;..."
    } else if (h == "subject" || h == "message_subject") {
      r->subject.assign(v);
    } else if (h == "status") {
      r->status.assign(v);
    } else if (h == "toip" || h == "server_ip") {
      r->to_ip.assign(v);
    } else if (h == "fromip" || h == "original_client_ip") {
      if (r->from_ip.empty()) r->from_ip.assign(v);
    } else if (h == "client_ip") {
      if (r->from_ip.empty()) r->from_ip.assign(v);
    } else if (h == "size" || h == "total_bytes") {
      r->size = ParseInt(v);
    } else if (h == "messageid" || h == "message_id") {
      r->message_id.assign(v);
    } else if (h == "messagetraceid" || h == "network_message_id" || h == "id") {
      if (r->trace_id.empty() || h == "network_message_id") r->trace_id.assign(v);
    } else if (h == "event_id") {
      r->event_id.assign(v);
    }
  }

  void ParseCsv(std::string_view text, RecordSink& sink) {
    CsvReader csv(text);
    std::vector<std::string_view> f;
    if (!csv.Next(&f)) return;
    std::vector<std::string> h;
    for (auto x : f) h.push_back(NormalizeHeader(x));
    while (csv.Next(&f)) {
      sink.SetRecord(csv.line());
      TraceRow r;
      for (size_t i = 0; i < f.size() && i < h.size(); ++i) Take(h[i], f[i], &r);
      Row(r, csv.line(), sink);
    }
  }

  void Row(const TraceRow& r, int64_t record, RecordSink& sink) {
    if (!r.ts) {
      sink.Count("skipped.m365-trace.no_time");
      return;
    }
    if (r.sender.empty() && r.recipient.empty()) {
      sink.Count("skipped.m365-trace.not_a_message");
      return;
    }
    if (r.locale_time) sink.Count("m365-trace.locale_dates");
    std::optional<IpAddress> from_ip;
    int from_port = -1;
    ParseClientEndpoint(r.from_ip, &from_ip, &from_port);

    // Recipients with their status: one per row, or "addr##Receive, Send;addr2##..." lists, or
    // ';'-separated lists in extended reports.
    std::vector<std::pair<std::string, std::string>> rcpts;
    std::string_view list = r.recipient;
    while (!list.empty()) {
      size_t semi = list.find(';');
      std::string_view one = Trim(list.substr(0, semi));
      list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
      if (one.empty()) continue;
      std::string status = r.event_id.empty() ? r.status : r.event_id;
      if (size_t hash = one.find("##"); hash != std::string_view::npos) {
        std::string_view steps = one.substr(hash + 2);
        size_t comma = steps.rfind(',');
        status.assign(Trim(comma == std::string_view::npos ? steps : steps.substr(comma + 1)));
        one = one.substr(0, hash);
      }
      rcpts.emplace_back(std::string(one), std::move(status));
    }

    std::string key = !r.trace_id.empty() ? r.trace_id : r.message_id + "\n" + r.sender;
    auto [it, fresh] = messages_.try_emplace(key);
    PendingMessage& m = it->second;
    bool receive_row = r.event_id.empty() || KeyIs(r.event_id, "receive");
    if (fresh) {
      order_.push_back(key);
      m.record = record;
      Event& e = m.event;
      e.ts = *r.ts;
      e.source = kSource;
      e.kind = EventKind::kMessage;
      e.session = r.trace_id;
      e.mail_from = r.sender;
      e.subject = r.subject;
      e.size = r.size;
      e.msg_id = r.message_id;
      e.client_ip = from_ip;
      if (r.from_ip.empty() || !from_ip) e.user = r.sender;  // sent from a hosted mailbox
    } else if (receive_row && !m.event.client_ip && from_ip) {
      m.event.client_ip = from_ip;
      m.event.user.clear();
    }
    for (auto& [addr, status] : rcpts) {
      const char* ds = DeliveryStatus(status);
      if (receive_row || r.event_id.empty()) {
        bool seen = false;
        for (const auto& x : m.event.recipients) seen = seen || x == addr;
        if (!seen) m.event.recipients.push_back(addr);
      }
      if (*ds == '\0') continue;  // Expanded, Receive, ...: no delivery step
      if (std::string_view(ds) == "bounced") ++m.failed;
      Event d;
      d.ts = *r.ts;
      d.source = kSource;
      d.kind = EventKind::kDelivery;
      d.session = r.trace_id;
      d.mail_from = r.sender;
      d.rcpt_to = addr;
      d.status = ds;
      d.text = status;
      d.msg_id = r.message_id;
      d.relay = r.to_ip;
      if (!r.from_ip.empty() && from_ip) d.client_ip = from_ip;
      sink.Emit(std::move(d));
    }
  }

  std::unordered_map<std::string, PendingMessage> messages_;
  std::vector<std::string> order_;
};

}  // namespace

std::unique_ptr<DocumentParser> MakeM365TraceParser() {
  return std::make_unique<M365TraceParser>();
}

}  // namespace mxir::logs
