// HexLower: bytes as lowercase hexadecimal (digests, keys, random names).
#pragma once

#include <cstddef>
#include <string>

namespace mxir {

std::string HexLower(const void* data, size_t size);

}  // namespace mxir
