// FlowTable: flow lookup, orientation, lifetime, limits.
#include "capture/flow_table.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

namespace mxir::capture {

struct FlowTable::Flow {
  Flow(const FlowTableOptions& o, ReassemblyStats* stats)
      : dir{TcpReassembler(o.reassembly, stats), TcpReassembler(o.reassembly, stats)} {}
  Key key;
  bool first_is_client = true;  // key side 0 is the client
  std::unique_ptr<StreamHandler> handler;
  bool ended = false;     // OnEnd called (a tombstone until it lingers out)
  bool ignored = false;   // the factory declined it
  TcpReassembler dir[2];  // [0] client to server, [1] server to client
  Timestamp last_seen;
  std::list<Flow*>::iterator lru;
  size_t memory = 0;
};

namespace {

constexpr size_t kFlowOverhead = 512;  // Flow, map node, handler state: roughly, for the budget

Delivery To(StreamHandler* h, int dir, Timestamp ts, int64_t packet) {
  return Delivery{h, dir == 0 ? Direction::kClientToServer : Direction::kServerToClient, ts,
                  packet};
}

// "C" + 11 base-62 digits of a hash of the 4-tuple and the first packet's time.
std::string FlowId(const void* key, size_t key_len, Timestamp ts) {
  uint64_t h = XXH3_64bits_withSeed(key, key_len, static_cast<uint64_t>(ts.micros()));
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id = "C";
  for (int i = 0; i < 11; ++i) {
    id.push_back(kDigits[h % 62]);
    h /= 62;
  }
  return id;
}

}  // namespace

size_t FlowTable::KeyHash::operator()(const Key& k) const {
  return static_cast<size_t>(XXH3_64bits(&k, sizeof k));
}

FlowTable::FlowTable(StreamHandlerFactory* factory, const FlowTableOptions& options)
    : factory_(factory), options_(options) {}

FlowTable::~FlowTable() { Finish(last_ts_, last_packet_); }

FlowTable::Key FlowTable::MakeKey(const DecodedTcp& tcp, bool* src_is_first) {
  Key k;
  std::memset(&k, 0, sizeof k);  // padding too: the key is hashed and compared as bytes
  size_t n = tcp.v6 ? 16 : 4;
  int c = std::memcmp(tcp.src_ip, tcp.dst_ip, n);
  *src_is_first = c < 0 || (c == 0 && tcp.src_port <= tcp.dst_port);
  int s = *src_is_first ? 0 : 1;
  std::memcpy(k.ip[s], tcp.src_ip, n);
  std::memcpy(k.ip[1 - s], tcp.dst_ip, n);
  k.port[s] = tcp.src_port;
  k.port[1 - s] = tcp.dst_port;
  k.v6 = tcp.v6 ? 1 : 0;
  return k;
}

bool FlowTable::IsServerPort(uint16_t port) const {
  return std::find(options_.server_ports.begin(), options_.server_ports.end(), port) !=
         options_.server_ports.end();
}

void FlowTable::Touch(Flow* flow, Timestamp ts) {
  if (ts > flow->last_seen) flow->last_seen = ts;
  lru_.splice(lru_.end(), lru_, flow->lru);
}

void FlowTable::Account(Flow* flow) {
  size_t now = kFlowOverhead + flow->dir[0].memory() + flow->dir[1].memory() +
               (flow->handler && !flow->ended ? flow->handler->memory() : 0);
  memory_ = memory_ - flow->memory + now;
  flow->memory = now;
  stats_.peak_memory = std::max(stats_.peak_memory, memory_);
}

FlowTable::Flow* FlowTable::Create(const Key& key, bool src_is_first, const DecodedTcp& tcp,
                                   Timestamp ts, int64_t packet, int input) {
  if (flows_.size() >= options_.max_flows ||
      memory_ + kFlowOverhead > options_.memory_budget_bytes) {
    ++stats_.flows_over_limit;
    return nullptr;
  }
  bool syn = (tcp.flags & kTcpSyn) != 0, ack = (tcp.flags & kTcpAck) != 0;
  bool src_is_client;
  if (syn) {
    src_is_client = !ack;
  } else if (IsServerPort(tcp.dst_port) != IsServerPort(tcp.src_port)) {
    src_is_client = IsServerPort(tcp.dst_port);
  } else {
    src_is_client = tcp.dst_port <= tcp.src_port;  // the lower port is the service
  }
  auto owned = std::make_unique<Flow>(options_, &stats_.reassembly);
  Flow* flow = owned.get();
  flow->key = key;
  flow->first_is_client = src_is_first == src_is_client;
  flow->last_seen = ts;
  int c = flow->first_is_client ? 0 : 1;
  bool v6 = key.v6 != 0;
  FlowInfo info;
  info.client_ip = IpAddress::FromBytes(key.ip[c], v6);
  info.server_ip = IpAddress::FromBytes(key.ip[1 - c], v6);
  info.client_port = key.port[c];
  info.server_port = key.port[1 - c];
  info.first_seen = ts;
  info.first_packet = packet;
  info.input = input;
  info.saw_syn = syn;
  info.id = FlowId(&key, sizeof key, ts);
  flow->handler = factory_->NewFlow(info);
  if (flow->handler == nullptr) {
    flow->ignored = true;
    ++stats_.flows_ignored;
  } else {
    ++stats_.flows;
    if (!syn) ++stats_.midstream_flows;
  }
  auto [it, inserted] = flows_.insert_or_assign(key, std::move(owned));
  (void)inserted;
  flow->lru = lru_.insert(lru_.end(), flow);
  Account(flow);
  return flow;
}

void FlowTable::End(Flow* flow, EndState state, Timestamp ts, int64_t packet) {
  if (flow->ended) return;
  flow->ended = true;
  if (flow->handler != nullptr) {
    if (state != EndState::kTruncated) {
      for (int d = 0; d < 2; ++d) flow->dir[d].Flush(To(flow->handler.get(), d, ts, packet));
    }
    flow->handler->OnEnd(state, ts, packet);
    flow->handler.reset();
    switch (state) {
      case EndState::kClosed:
        ++stats_.closed_flows;
        break;
      case EndState::kReset:
        ++stats_.reset_flows;
        break;
      case EndState::kTimeout:
        ++stats_.timed_out_flows;
        break;
      case EndState::kTruncated:
        ++stats_.truncated_flows;
        break;
    }
  }
  flow->dir[0].Clear();
  flow->dir[1].Clear();
  Account(flow);
}

void FlowTable::Erase(Flow* flow) {
  memory_ -= flow->memory;
  lru_.erase(flow->lru);
  Key key = flow->key;  // a copy: erasing destroys *flow
  flows_.erase(key);
}

void FlowTable::OnSegment(const DecodedTcp& tcp, Timestamp ts, int64_t packet, int input) {
  if (ts > last_ts_) last_ts_ = ts;
  last_packet_ = packet;
  bool src_is_first = true;
  Key key = MakeKey(tcp, &src_is_first);
  bool syn = (tcp.flags & kTcpSyn) != 0;
  bool has_data = tcp.payload_len + tcp.missing_len > 0;
  auto it = flows_.find(key);
  Flow* flow = it == flows_.end() ? nullptr : it->second.get();
  if (flow != nullptr && flow->ended && syn) {  // the 4-tuple is used again
    Erase(flow);
    flow = nullptr;
  }
  if (flow == nullptr) {
    if (!syn && !has_data) {
      ++stats_.segments_without_flow;
      return;
    }
    flow = Create(key, src_is_first, tcp, ts, packet, input);
    if (flow == nullptr) return;
  }
  Touch(flow, ts);
  if (flow->ended || flow->ignored) return;

  int d = (src_is_first == flow->first_is_client) ? 0 : 1;
  StreamHandler* h = flow->handler.get();
  TcpReassembler& me = flow->dir[d];
  TcpReassembler& peer = flow->dir[1 - d];
  if ((tcp.flags & kTcpRst) != 0) {
    End(flow, EndState::kReset, ts, packet);
    return;
  }
  uint32_t seq = tcp.seq;
  if (syn) {
    me.Start(seq + 1);
    seq += 1;  // data on a SYN (TCP Fast Open) follows the SYN's own number
  }
  if (has_data) {
    me.AddSegment(seq, tcp.payload, tcp.payload_len, tcp.missing_len, To(h, d, ts, packet));
  }
  if ((tcp.flags & kTcpAck) != 0) peer.Acknowledged(tcp.ack, To(h, 1 - d, ts, packet));
  if ((tcp.flags & kTcpFin) != 0) me.SetFin(seq + tcp.payload_len + tcp.missing_len);
  if (me.finished() && peer.finished()) {
    End(flow, EndState::kClosed, ts, packet);
    return;
  }
  Account(flow);
  if (memory_ > options_.memory_budget_bytes) End(flow, EndState::kTruncated, ts, packet);
}

void FlowTable::ExpireIdle(Timestamp now) {
  while (!lru_.empty()) {
    Flow* flow = lru_.front();
    bool dead = flow->ended || flow->ignored;
    int64_t limit = flow->ended ? options_.closed_linger_us : options_.idle_timeout_us;
    if (now - flow->last_seen <= limit) break;
    if (!dead) End(flow, EndState::kTimeout, flow->last_seen + options_.idle_timeout_us, 0);
    Erase(flow);
  }
}

void FlowTable::Finish(Timestamp now, int64_t packet) {
  while (!lru_.empty()) {
    Flow* flow = lru_.front();
    if (!flow->ended && !flow->ignored) {
      bool fin = flow->dir[0].fin_seen() || flow->dir[1].fin_seen();
      End(flow, fin ? EndState::kClosed : EndState::kTimeout, now, packet);
    }
    Erase(flow);
  }
}

void FlowTable::ExportCounters(Counters* c) const {
  // The headline counts always; the rest only when something happened (a short summary line).
  c->Add("flows", stats_.flows);
  c->Add("gaps", stats_.reassembly.gaps);
  c->Add("truncated_flows", stats_.truncated_flows);
  auto nonzero = [c](const char* name, int64_t v) {
    if (v != 0) c->Add(name, v);
  };
  nonzero("gap_bytes", stats_.reassembly.gap_bytes);
  nonzero("midstream_flows", stats_.midstream_flows);
  nonzero("flows_ignored", stats_.flows_ignored);
  nonzero("flows_over_limit", stats_.flows_over_limit);
  nonzero("flow_end.closed", stats_.closed_flows);
  nonzero("flow_end.reset", stats_.reset_flows);
  nonzero("flow_end.timeout", stats_.timed_out_flows);
  nonzero("tcp.retransmitted_segments", stats_.reassembly.retransmitted_segments);
  nonzero("tcp.out_of_order_segments", stats_.reassembly.out_of_order_segments);
  nonzero("tcp.out_of_window_segments", stats_.reassembly.out_of_window_segments);
  nonzero("tcp.forced_skips", stats_.reassembly.forced_skips);
  nonzero("tcp.segments_without_flow", stats_.segments_without_flow);
  c->Set("peak_flow_memory_bytes", static_cast<int64_t>(stats_.peak_memory));
}

}  // namespace mxir::capture
