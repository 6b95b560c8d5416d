// LiveSource: packets from a network interface through libpcap (pcap_create/pcap_activate), and
// PcapWriter: packets kept as evidence in a pcap file (pcap_dump).
//
// The live source stops on its own when `duration_us` has passed or when *stop becomes true (set
// it from a SIGINT/SIGTERM handler); it wakes at least every 100 ms to check, so a stop takes
// effect promptly even on a silent interface. Drops() reads pcap_stats. Opening an interface
// usually needs root or CAP_NET_RAW; the error says so.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "capture/packet_source.h"
#include "core/status.h"

namespace mxir::capture {

// The BPF filter of a live capture that looks at the given TCP ports only ("tcp port 25 or tcp
// port 465 ..."; "tcp" when `ports` is empty). mxir capture uses it with the SMTP ports (25,
// 465, 587, 2525 and every --smtp-port / --implicit-tls-port) unless --any-port or --filter.
std::string TcpPortsFilter(const std::set<uint16_t>& ports);
// Every TCP connection: SMTP is then recognised by its content on any port (--any-port).
inline constexpr char kAnyTcpFilter[] = "tcp";

// What a live capture takes from the interface: the user's own BPF `filter` when given (non
// empty), else every TCP connection with `any_port`, else the `smtp_ports`; with the sentence that
// says so before the wait begins (what is not taken cannot be found).
struct LiveFilter {
  std::string bpf;
  std::string description;
};
LiveFilter ChooseLiveFilter(const std::string& filter, bool any_port,
                            const std::set<uint16_t>& smtp_ports);

struct LiveOptions {
  std::string interface;
  std::string filter = TcpPortsFilter({25, 465, 587, 2525});
  int64_t duration_us = 0;  // 0: until stopped
  int snaplen = 262144;
  bool promiscuous = false;
  int buffer_bytes = 32 << 20;
  const std::atomic<bool>* stop = nullptr;
};

Result<std::unique_ptr<PacketSource>> OpenLive(const LiveOptions& options);

// Writes packets to a pcap file (created 0600: captured traffic holds personal data).
class PcapWriter {
 public:
  static Result<std::unique_ptr<PcapWriter>> Create(const std::string& path, int link_type,
                                                    int snaplen = 262144);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  void Write(const RawPacket& p);
  // Flushes and closes; the error names the file.
  Status Close();

 private:
  PcapWriter() = default;
  std::string path_;
  void* dead_ = nullptr;    // pcap_t*
  void* dumper_ = nullptr;  // pcap_dumper_t*
};

}  // namespace mxir::capture
