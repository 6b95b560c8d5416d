// LiveSource and PcapWriter over libpcap.
#include "capture/live_source.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mxir::capture {
namespace {

class LiveSource final : public PacketSource {
 public:
  LiveSource(pcap_t* handle, const LiveOptions& o) : handle_(handle), options_(o) {
    start_ = std::chrono::steady_clock::now();
    link_type_ = pcap_datalink(handle);
    fd_ = pcap_get_selectable_fd(handle);
  }
  ~LiveSource() override { pcap_close(handle_); }

  Result<bool> Next(RawPacket* p) override {
    for (;;) {
      if (options_.stop != nullptr && options_.stop->load()) return false;
      int64_t remaining_ms = 100;
      if (options_.duration_us > 0) {
        auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - start_)
                           .count();
        if (elapsed >= options_.duration_us) return false;
        remaining_ms = std::min<int64_t>(100, (options_.duration_us - elapsed) / 1000 + 1);
      }
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      int rc = pcap_next_ex(handle_, &header, &data);
      if (rc == 1) {
        p->ts = Timestamp::FromMicros(static_cast<int64_t>(header->ts.tv_sec) * 1000000 +
                                      header->ts.tv_usec);
        p->data = data;
        p->caplen = header->caplen;
        p->wirelen = header->len;
        p->link_type = link_type_;
        p->input = 0;
        p->index = ++index_;
        bytes_ += header->caplen;
        return true;
      }
      if (rc == PCAP_ERROR_BREAK) return false;
      if (rc < 0) {
        return MakeError(ErrorCode::kIo,
                         "capture on '" + options_.interface + "' failed: " + pcap_geterr(handle_));
      }
      // Nothing waiting (non-blocking): sleep until the interface has something or 100 ms pass.
      if (fd_ >= 0) {
        pollfd pfd{fd_, POLLIN, 0};
        poll(&pfd, 1, static_cast<int>(remaining_ms));
      } else {
        usleep(static_cast<useconds_t>(remaining_ms * 1000));
      }
    }
  }

  const std::vector<std::string>& warnings() const override { return warnings_; }

  std::optional<SourceDrops> Drops() const override {
    pcap_stat st;
    std::memset(&st, 0, sizeof st);
    if (pcap_stats(handle_, &st) != 0) return SourceDrops{};
    return SourceDrops{static_cast<int64_t>(st.ps_drop), static_cast<int64_t>(st.ps_ifdrop)};
  }
  uint64_t bytes_read() const override { return bytes_; }
  int link_type() const override { return link_type_; }

 private:
  pcap_t* handle_;
  LiveOptions options_;
  std::chrono::steady_clock::time_point start_;
  int link_type_ = 0;
  int fd_ = -1;
  int64_t index_ = 0;
  uint64_t bytes_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace

std::string TcpPortsFilter(const std::set<uint16_t>& ports) {
  std::string f;
  for (uint16_t p : ports) f += (f.empty() ? "tcp port " : " or tcp port ") + std::to_string(p);
  return f.empty() ? kAnyTcpFilter : f;
}

LiveFilter ChooseLiveFilter(const std::string& filter, bool any_port,
                            const std::set<uint16_t>& smtp_ports) {
  if (!filter.empty()) return {filter, "packets matching '" + filter + "'"};
  if (any_port || smtp_ports.empty()) {
    return {kAnyTcpFilter, "every TCP connection (SMTP recognised by its content on any port)"};
  }
  std::string ports;
  for (uint16_t p : smtp_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  return {TcpPortsFilter(smtp_ports),
          "TCP ports " + ports + " only (SMTP on another port: --smtp-port PORT or --any-port)"};
}

Result<std::unique_ptr<PacketSource>> OpenLive(const LiveOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* h = pcap_create(o.interface.c_str(), errbuf);
  if (h == nullptr) {
    return MakeError(ErrorCode::kInvalidInput, "interface '" + o.interface + "': " + errbuf);
  }
  pcap_set_snaplen(h, o.snaplen);
  pcap_set_promisc(h, o.promiscuous ? 1 : 0);
  pcap_set_timeout(h, 100);
  pcap_set_immediate_mode(h, 1);
  pcap_set_buffer_size(h, o.buffer_bytes);
  int rc = pcap_activate(h);
  if (rc < 0) {
    std::string why = pcap_geterr(h);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) why = "no such interface (see 'ip link')";
    if (rc == PCAP_ERROR_PERM_DENIED) {
      why += " — capturing needs root or the CAP_NET_RAW capability";
    }
    pcap_close(h);
    return MakeError(ErrorCode::kInvalidInput, "interface '" + o.interface + "': " + why);
  }
  auto source = std::make_unique<LiveSource>(h, o);  // owns h from here on
  if (!o.filter.empty()) {
    bpf_program program;
    if (pcap_compile(h, &program, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return MakeError(ErrorCode::kUsage, "filter '" + o.filter + "': " + pcap_geterr(h));
    }
    rc = pcap_setfilter(h, &program);
    pcap_freecode(&program);
    if (rc != 0)
      return MakeError(ErrorCode::kUsage, "filter '" + o.filter + "': " + pcap_geterr(h));
  }
  if (pcap_setnonblock(h, 1, errbuf) != 0) {
    return MakeError(ErrorCode::kIo, "interface '" + o.interface + "': " + errbuf);
  }
  return std::unique_ptr<PacketSource>(std::move(source));
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::Create(const std::string& path, int link_type,
                                                       int snaplen) {
  // Evidence is never overwritten (O_EXCL, no symlink followed), and holds clear-text AUTH:
  // the file is 0600 whatever the umask.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return MakeError(ErrorCode::kUsage, "--write '" + path +
                                              "' exists; evidence is never overwritten: choose "
                                              "a new file name");
    }
    return MakeError(ErrorCode::kIo, "'" + path + "': cannot create: " + std::strerror(errno));
  }
  if (fchmod(fd, 0600) != 0) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kIo, "'" + path + "': cannot chmod: " + std::strerror(err));
  }
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    close(fd);
    return MakeError(ErrorCode::kIo, "'" + path + "': " + std::strerror(errno));
  }
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  w->path_ = path;
  pcap_t* dead = pcap_open_dead(link_type, snaplen);
  w->dead_ = dead;
  pcap_dumper_t* d = pcap_dump_fopen(dead, f);
  if (d == nullptr) {
    fclose(f);
    return MakeError(ErrorCode::kIo, "'" + path + "': " + pcap_geterr(dead));
  }
  w->dumper_ = d;
  return w;
}

void PcapWriter::Write(const RawPacket& p) {
  if (dumper_ == nullptr) return;
  pcap_pkthdr h;
  h.ts.tv_sec = p.ts.micros() / 1000000;
  h.ts.tv_usec = p.ts.micros() % 1000000;
  h.caplen = p.caplen;
  h.len = p.wirelen;
  pcap_dump(static_cast<u_char*>(dumper_), &h, p.data);
}

Status PcapWriter::Close() {
  if (dumper_ == nullptr) return Status::Ok();
  auto* d = static_cast<pcap_dumper_t*>(dumper_);
  int rc = pcap_dump_flush(d);
  pcap_dump_close(d);
  dumper_ = nullptr;
  if (rc != 0) return MakeError(ErrorCode::kIo, "'" + path_ + "': writing the capture failed");
  return Status::Ok();
}

PcapWriter::~PcapWriter() {
  (void)Close();
  if (dead_ != nullptr) pcap_close(static_cast<pcap_t*>(dead_));
}

}  // namespace mxir::capture
