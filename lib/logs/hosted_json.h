// JSON records of the hosted-mail exports (pages, arrays, JSON Lines) and their value forms.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "logs/hosted_common.h"

namespace mxir::logs {

// Calls fn for each record in `text`: a single object, an array of objects, several arrays or
// objects one after another ("][", NDJSON), or a page ({"value":[...]}, {"records":[...]},
// {"items":[...]}). Elements that are not objects are counted as `skipped.<format>.not_an_object`,
// text that is not JSON as `skipped.<format>.bad_json` (the rest of the input is still read when
// it can be).
void ForEachJsonRecord(std::string_view text, const char* format, RecordSink& sink,
                       const std::function<void(simdjson::dom::object)>& fn);

std::string_view JsonString(simdjson::dom::element v);  // "" when not a string
// A string, or a number as its decimal text ("" for anything else).
std::string JsonScalarText(simdjson::dom::element v);
std::optional<int64_t> JsonInt(simdjson::dom::element v);  // a number, or a string of digits

}  // namespace mxir::logs
