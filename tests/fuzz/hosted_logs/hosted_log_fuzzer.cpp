// libFuzzer target for the hosted-mail formats: the first input byte chooses one of
// entra-signin, m365-audit, m365-trace, google-login (read as a whole document, also through
// the UTF-16 decoding), exchange-smtp, exchange-tracking, exchange-httpproxy (line by line) or
// auto detection; built once per format family with MXIR_FUZZ_FORMAT. Nothing may crash, hang or
// leak; every event must serialise to a JSON object.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/event_json.h"
#include "logs/hosted_common.h"
#include "logs/ingester.h"
#include "logs/text_decode.h"

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

constexpr const char* kFormats[] = {"entra-signin",       "m365-audit",    "m365-trace",
                                    "google-login",       "exchange-smtp", "exchange-tracking",
                                    "exchange-httpproxy", "auto"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mxir::ManualClock clock(mxir::Timestamp::FromSeconds(1700000000));
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string format = kFormats[data[0] % (sizeof(kFormats) / sizeof(kFormats[0]))];
  JsonSink sink;
  mxir::logs::IngestOptions options;
  options.format = format;
  options.tz = "UTC";
  options.max_line = 4096;
  auto ingester = mxir::logs::Ingester::Create(options, clock, &sink);
  if (!ingester.ok()) __builtin_trap();
  if (mxir::logs::MakeDocumentParser(format) != nullptr) {
    if (!(*ingester)->IngestDocument(input, "fuzz", "", format).ok()) __builtin_trap();
    return 0;
  }
  if (format == "auto") {
    std::string decoded;
    std::string_view text = input;
    if (mxir::logs::DecodeText(input, &decoded)) text = decoded;
    std::string detected = mxir::logs::DetectDocumentFormat(text.substr(0, 65536));
    if (!detected.empty()) {
      (void)(*ingester)->IngestDocument(input, "fuzz", "", detected);
      return 0;
    }
  }
  auto stream = (*ingester)->OpenStream("fuzz", "");
  int64_t number = 0;
  while (!input.empty()) {
    size_t nl = input.find('\n');
    stream->IngestLine(input.substr(0, nl), ++number);
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  stream->Finish();
  return 0;
}
