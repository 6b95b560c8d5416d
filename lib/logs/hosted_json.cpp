#include "logs/hosted_json.h"

#include "logs/text_scan.h"

namespace mxir::logs {

std::string_view JsonString(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s)) return {};
  return s;
}

std::string JsonScalarText(simdjson::dom::element v) {
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  uint64_t u;
  if (!v.get_uint64().get(u)) return std::to_string(u);
  double d;
  if (!v.get_double().get(d)) return std::to_string(static_cast<int64_t>(d));
  bool b;
  if (!v.get_bool().get(b)) return b ? "true" : "false";
  return {};
}

std::optional<int64_t> JsonInt(simdjson::dom::element v) {
  int64_t i;
  if (!v.get_int64().get(i)) return i;
  std::string_view s;
  if (!v.get_string().get(s)) return ParseInt(Trim(s));
  return std::nullopt;
}

namespace {

void VisitRecords(simdjson::dom::element doc, const char* format, RecordSink& sink,
                  const std::function<void(simdjson::dom::object)>& fn, int depth) {
  simdjson::dom::array arr;
  if (!doc.get_array().get(arr)) {
    for (simdjson::dom::element e : arr) {
      simdjson::dom::object o;
      if (e.get_object().get(o)) {
        if (depth < 1 && e.is_array()) {  // an array of pages or of arrays
          VisitRecords(e, format, sink, fn, depth + 1);
          continue;
        }
        sink.Count(std::string("skipped.") + format + ".not_an_object");
        continue;
      }
      VisitRecords(e, format, sink, fn, depth + 1);
    }
    return;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    sink.Count(std::string("skipped.") + format + ".not_an_object");
    return;
  }
  // A page or an envelope: {"value": [...]}, {"records": [...]}, {"items": [...]}.
  if (depth < 2) {
    for (auto [key, value] : obj) {
      if ((KeyIs(key, "value") || KeyIs(key, "records") || KeyIs(key, "items")) &&
          value.is_array()) {
        VisitRecords(value, format, sink, fn, depth + 1);
        return;
      }
    }
  }
  fn(obj);
}

}  // namespace

void ForEachJsonRecord(std::string_view text, const char* format, RecordSink& sink,
                       const std::function<void(simdjson::dom::object)>& fn) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string copy;
  const char* data = text.data();
  if (!sink.TextIsPadded()) {
    copy = simdjson::padded_string(text);
    data = copy.data();
  }
  // JSON Lines and concatenated arrays go through in cache-sized batches; a document larger than
  // a batch (one big array) makes the stream fail at once, and is then parsed in one piece.
  constexpr size_t kBatch = size_t{8} << 20;
  size_t batch =
      std::max<size_t>(std::min(text.size() + 64, kBatch), simdjson::dom::MINIMAL_BATCH_SIZE);
  for (int attempt = 0; attempt < 2; ++attempt) {
    simdjson::dom::document_stream stream;
    if (parser.parse_many(data, text.size(), batch).get(stream)) {
      sink.Count(std::string("skipped.") + format + ".bad_json");
      return;
    }
    bool any = false;
    bool too_big = false;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      simdjson::dom::element doc;
      auto err = (*it).get(doc);
      if (err) {
        if (!any && err == simdjson::CAPACITY && batch < text.size() + 64) {
          too_big = true;
          break;
        }
        sink.Count(std::string("skipped.") + format + ".bad_json");
        return;
      }
      any = true;
      VisitRecords(doc, format, sink, fn, 0);
    }
    if (too_big) {
      batch = text.size() + 64;
      continue;
    }
    // A document cut short at the end of the input (a truncated download).
    if (stream.truncated_bytes() > 0) sink.Count(std::string("skipped.") + format + ".bad_json");
    return;
  }
}

}  // namespace mxir::logs
