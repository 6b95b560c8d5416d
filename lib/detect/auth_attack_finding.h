// AuthAttackFinding: the part that credential stuffing and password spraying findings share —
// a finding made from one client's sweep of accounts or from an attack spread over many
// clients (auth_analysis.h), with its accounts, counts and the attempts' origins. Each detector
// adds its own explanation and next steps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detect/detect_context.h"

namespace mxir::detect {

// From one client's sweep. `secrets_if_known`: count distinct secrets only when the attempts
// carried fingerprints (else the count is always set). Sets *inside and *host.
Finding SweepFinding(DetectContext& ctx, const ClientSweep& s, const char* kind,
                     bool secrets_if_known, bool* inside, std::string* host);

// From an attack spread over many clients; its key (the finding's id) is "distributed", then
// `second_key` when that is not empty. Sets *inside (any client inside) and
// *hosts (every client, as text; also the finding's "clients" evidence).
Finding DistributedFinding(DetectContext& ctx, const DistributedAttack& d, const char* kind,
                           std::string_view second_key, bool* inside,
                           std::vector<std::string>* hosts);

// "3 hosts (a, b, c)": who a distributed attack came from, for an explanation.
std::string HostsText(const std::vector<std::string>& hosts);

}  // namespace mxir::detect
