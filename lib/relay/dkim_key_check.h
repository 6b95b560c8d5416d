// Preflight's dkim check, the key part: the p= tag of a published DKIM key record, and a test
// signature made with the configured private key and verified with the published public key
// (so a record for another key, or a key file that is not the pair, fails).
#pragma once

#include <string>

namespace mxir::relay {

// The p= tag of a DKIM key record (RFC 6376 §3.6.1); empty when absent or revoked.
std::string DkimKeyTag(const std::string& record);

// Signs a random test text with the private key in `key_file` (PEM) and verifies it with the
// published key `p_tag` (base64 DER). Empty when it verifies, else what is wrong.
std::string DkimSignatureTest(const std::string& key_file, const std::string& p_tag);

}  // namespace mxir::relay
