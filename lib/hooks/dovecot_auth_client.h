// DovecotAuthCheck: asks a running Dovecot whether a user/password pair authenticates, over its
// auth-client socket (the one Postfix uses for SASL, e.g. private/auth, or base_dir/auth-client),
// speaking the auth protocol version 1.2 with mechanism PLAIN and the no-penalty flag. The
// password travels only over the local socket, never a command line. Bounded by a timeout.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace mxir::hooks {

enum class AuthVerdict { kAccepted, kRejected };

Result<AuthVerdict> DovecotAuthCheck(const std::string& socket_path, const std::string& user,
                                     const std::string& password,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace mxir::hooks
