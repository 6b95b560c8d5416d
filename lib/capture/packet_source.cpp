// PacketSource over libpcap's offline reader: several files merged in time order.
#include "capture/packet_source.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <pcap/pcap.h>
#include <sys/stat.h>

#include "capture/packet_decoder.h"

namespace mxir::capture {
namespace {

bool SupportedLinkType(int dlt) {
  DecodedTcp unused;
  static const uint8_t kEmpty[1] = {0};
  return DecodePacket(dlt, kEmpty, 0, &unused) != PacketClass::kUnsupportedLinkType;
}

// libpcap reads a file with two fread()s per packet; glibc's default stdio buffer (st_blksize,
// 4 KiB) turns that into a read() system call every few packets. 64 KiB cuts the calls 16-fold and
// still fits the L2 cache, so the kernel's copy stays cheap; much larger buffers measured slower.
constexpr size_t kReadBufferBytes = 64 * 1024;

// One open file and its next packet.
class PcapFile {
 public:
  // `read_buffer` is the stdio buffer of the handle's FILE; it must outlive the handle.
  PcapFile(pcap_t* handle, std::unique_ptr<char[]> read_buffer, std::string path, int input)
      : handle_(handle),
        read_buffer_(std::move(read_buffer)),
        path_(std::move(path)),
        input_(input) {}
  ~PcapFile() {
    if (handle_ != nullptr) pcap_close(handle_);  // closes the FILE before its buffer is freed
  }
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  // Reads the next packet into head(); false at the end of the file or when it broke off (then
  // *warning says where).
  bool Advance(std::string* warning) {
    if (done_) return false;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
      ++index_;
      head_.ts = Timestamp::FromMicros(static_cast<int64_t>(header->ts.tv_sec) * 1000000 +
                                       header->ts.tv_usec);
      head_.data = data;
      head_.caplen = header->caplen;
      head_.wirelen = header->len;
      head_.link_type = link_type_;
      head_.input = input_;
      head_.index = index_;
      bytes_ += header->caplen + 16;
      return true;
    }
    done_ = true;
    if (rc == PCAP_ERROR) {
      *warning = "'" + path_ + "': the file breaks off after packet " + std::to_string(index_) +
                 " (" + pcap_geterr(handle_) +
                 "); the packets before it were read — was the capture stopped abruptly?";
    }
    return false;
  }

  void set_link_type(int dlt) { link_type_ = dlt; }
  const RawPacket& head() const { return head_; }
  uint64_t bytes() const { return bytes_; }

 private:
  pcap_t* handle_;
  std::unique_ptr<char[]> read_buffer_;
  std::string path_;
  int input_;
  int link_type_ = 0;
  int64_t index_ = 0;
  uint64_t bytes_ = 24;
  bool done_ = false;
  RawPacket head_;
};

class MergedPcapSource final : public PacketSource {
 public:
  void Add(std::unique_ptr<PcapFile> f) {
    std::string warning;
    bool has = f->Advance(&warning);
    if (!warning.empty()) warnings_.push_back(warning);
    files_.push_back(std::move(f));
    has_head_.push_back(has);
  }

  Result<bool> Next(RawPacket* p) override {
    if (last_ >= 0) {  // the packet handed out last time may now be replaced
      std::string warning;
      has_head_[last_] = files_[last_]->Advance(&warning);
      if (!warning.empty()) warnings_.push_back(warning);
    }
    int best = -1;
    for (size_t i = 0; i < files_.size(); ++i) {
      if (!has_head_[i]) continue;
      if (best < 0 || files_[i]->head().ts < files_[best]->head().ts) best = static_cast<int>(i);
    }
    last_ = best;
    if (best < 0) return false;
    *p = files_[best]->head();
    return true;
  }

  const std::vector<std::string>& warnings() const override { return warnings_; }

  uint64_t bytes_read() const override {
    uint64_t total = 0;
    for (const auto& f : files_) total += f->bytes();
    return total;
  }

 private:
  std::vector<std::unique_ptr<PcapFile>> files_;
  std::vector<bool> has_head_;
  std::vector<std::string> warnings_;
  int last_ = -1;
};

Result<std::unique_ptr<PcapFile>> OpenOne(const std::string& path, const std::string& filter,
                                          int input) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kNotFound,
                     "'" + path + "': " + std::strerror(errno) + " — check the file name");
  }
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "' is a directory, not a capture file");
  }
  if (st.st_size == 0) {
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "' is empty — a capture file has at least a file header");
  }
  std::FILE* fp = std::fopen(path.c_str(), "rbe");
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* handle = nullptr;
  std::unique_ptr<char[]> read_buffer;
  if (fp == nullptr) {  // the message libpcap's pcap_open_offline would give
    std::snprintf(errbuf, sizeof errbuf, "%s: %s", path.c_str(), std::strerror(errno));
  } else {
    read_buffer = std::make_unique<char[]>(kReadBufferBytes);
    std::setvbuf(fp, read_buffer.get(), _IOFBF, kReadBufferBytes);
    handle = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (handle == nullptr) std::fclose(fp);  // libpcap leaves it open on failure
  }
  if (handle == nullptr) {
    // A compressed capture is common (logrotate, mail attachments): name it and the fix.
    unsigned char magic[2] = {0, 0};
    if (std::FILE* peek = std::fopen(path.c_str(), "rbe")) {
      size_t got = std::fread(magic, 1, 2, peek);
      std::fclose(peek);
      if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        return MakeError(ErrorCode::kInvalidInput,
                         "'" + path + "' is gzip-compressed: unpack it first (gunzip -k '" + path +
                             "') and read the .pcap");
      }
    }
    std::string why = errbuf;
    std::string hint = why.find("unknown file format") != std::string::npos
                           ? " — this is not a pcap or pcapng file (wrong magic number)"
                           : " — the file header is damaged or cut short";
    return MakeError(ErrorCode::kInvalidInput, "'" + path + "': " + why + hint);
  }
  auto file = std::make_unique<PcapFile>(handle, std::move(read_buffer), path, input);
  int dlt = pcap_datalink(handle);
  if (!SupportedLinkType(dlt)) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return MakeError(ErrorCode::kInvalidInput,
                     "'" + path + "': link type " + std::to_string(dlt) + " (" +
                         (name != nullptr ? name : "unknown") +
                         ") is not supported — supported are Ethernet, Linux cooked (SLL, "
                         "SLL2), BSD loopback and raw IP");
  }
  file->set_link_type(dlt);
  if (!filter.empty()) {
    bpf_program program;
    if (pcap_compile(handle, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return MakeError(ErrorCode::kUsage, "filter '" + filter + "': " + pcap_geterr(handle));
    }
    int rc = pcap_setfilter(handle, &program);
    pcap_freecode(&program);
    if (rc != 0) {
      return MakeError(ErrorCode::kUsage, "filter '" + filter + "': " + pcap_geterr(handle));
    }
  }
  return file;
}

}  // namespace

Result<std::unique_ptr<PacketSource>> OpenPcapFiles(const std::vector<std::string>& paths,
                                                    const std::string& filter) {
  if (paths.empty()) return MakeError(ErrorCode::kUsage, "no capture file given");
  auto source = std::make_unique<MergedPcapSource>();
  for (size_t i = 0; i < paths.size(); ++i) {
    MXIR_ASSIGN_OR_RETURN(auto file, OpenOne(paths[i], filter, static_cast<int>(i)));
    source->Add(std::move(file));
  }
  return std::unique_ptr<PacketSource>(std::move(source));
}

}  // namespace mxir::capture
