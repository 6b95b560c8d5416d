// Exports as UTF-8: BOMs removed, UTF-16 converted (Microsoft's exports are often UTF-16LE).
#pragma once

#include <string>
#include <string_view>

namespace mxir::logs {

// Text as UTF-8: a UTF-8 BOM is removed; UTF-16LE (with or without BOM: recognised by NUL bytes
// in the odd positions) and UTF-16BE with BOM are converted. Returns false when `raw` was
// already UTF-8 without BOM (then *out is untouched and the caller uses raw as is).
bool DecodeText(std::string_view raw, std::string* out);

}  // namespace mxir::logs
