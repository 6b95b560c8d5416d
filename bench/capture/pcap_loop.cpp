// The benchmark's upper limit: a bare libpcap read loop over a capture file that touches every
// packet's bytes once (a running checksum) and does nothing else. `mxir capture` cannot read a
// file faster than this.
#include <cstdint>
#include <cstdio>

#include <pcap/pcap.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_pcap_loop FILE.pcap\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "bench_pcap_loop: %s\n", errbuf);
    return 2;
  }
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  uint64_t packets = 0, bytes = 0, sum = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ++packets;
    bytes += h->caplen;
    for (uint32_t i = 0; i < h->caplen; i += 64) sum += data[i];
  }
  pcap_close(p);
  std::printf("%llu packets, %llu bytes (checksum %llu)\n",
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(sum));
  return 0;
}
