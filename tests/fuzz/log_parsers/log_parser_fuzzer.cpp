// libFuzzer target for the log parsers: the input is split into lines and run through an
// Ingester (line splitting, every timestamp form, the format's parser and its correlation
// state). Built once per format with MXIR_FUZZ_FORMAT ("postfix", "dovecot", ...); the "login"
// build fuzzes the smaller formats, the first input byte choosing which, and "auto" lets the
// dispatcher choose per line. Nothing may crash, hang or leak; every event must serialise.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/event_json.h"
#include "logs/ingester.h"
#include "logs/login_parsers.h"

#ifndef MXIR_FUZZ_FORMAT
#define MXIR_FUZZ_FORMAT "auto"
#endif

namespace {

class JsonSink final : public mxir::logs::EventSink {
 public:
  void Emit(mxir::Event&& e) override {
    out_.clear();
    mxir::AppendEventJson(out_, e);
    if (out_.empty() || out_.front() != '{') __builtin_trap();
  }

 private:
  std::string out_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mxir::ManualClock clock(mxir::Timestamp::FromSeconds(1124013600));
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string format = MXIR_FUZZ_FORMAT;
  if (format == "login") {
    if (input.empty()) return 0;
    auto names = mxir::logs::LoginParserNames();
    format = names[static_cast<uint8_t>(input[0]) % names.size()];
    input.remove_prefix(1);
  }
  JsonSink sink;
  mxir::logs::IngestOptions options;
  options.format = format;
  options.tz = "UTC";  // zone rules are covered by unit tests; a zone per input is slow
  options.max_line = 4096;
  auto ingester = mxir::logs::Ingester::Create(options, clock, &sink);
  if (!ingester.ok()) __builtin_trap();
  auto stream = (*ingester)->OpenStream("fuzz", "");
  int64_t number = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    stream->IngestLine(line, ++number);
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  stream->Finish();
  return 0;
}
