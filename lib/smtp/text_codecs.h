// Text decoding used by the SMTP decoder: base64 (AUTH exchanges), RFC 2047 encoded words in
// message headers ("=?charset?B|Q?...?="), and charset conversion to UTF-8.
//
// Base64 goes through OpenSSL (EVP_DecodeBlock); charsets other than UTF-8, US-ASCII and
// ISO-8859-1 go through glibc's iconv (ISO-8859-15, Windows-1252, KOI8-R, ...). Undecodable input
// is left as it was (encoded words) or rejected (base64); nothing here throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxir::smtp {

// Strict base64 (blanks around it ignored). nullopt when not valid base64.
std::optional<std::string> Base64Decode(std::string_view text);

// Converts `bytes` in `charset` to UTF-8. nullopt when the charset is unknown, or for UTF-8 and
// US-ASCII when a byte is invalid; in the charsets iconv converts (ISO-2022-JP, Shift_JIS, EUC-JP,
// Windows-1252, ...) invalid or cut-off sequences become U+FFFD and the output stays within 4
// bytes per input byte.
std::optional<std::string> ToUtf8(std::string_view charset, std::string_view bytes);

// Decodes the RFC 2047 encoded words in a header value; whitespace between two adjacent encoded
// words is dropped (RFC 2047 section 6.2). Words that cannot be decoded are kept verbatim.
std::string DecodeEncodedWords(std::string_view value);

// Windows-1252 to UTF-8; the five bytes the code page leaves undefined become U+FFFD.
std::string Windows1252ToUtf8(std::string_view bytes);

// A header value as text: undeclared 8-bit bytes that are not valid UTF-8 are read as
// Windows-1252, then RFC 2047 encoded words are decoded.
std::string DecodeHeaderText(std::string_view value);

}  // namespace mxir::smtp
