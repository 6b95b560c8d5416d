// mxir relay subcommands (spec/cli.md "relay").
#pragma once

#include <string>

#include "core/cli.h"
#include "relay/relay_config.h"

namespace mxir::tools {

int RelayConfigCommand(int argc, char** argv);
int RelayPolicyCommand(int argc, char** argv);
int RelayPreflightCommand(int argc, char** argv);
int RelayUpCommand(int argc, char** argv);
int RelayDownCommand(int argc, char** argv);
int RelayStatusCommand(int argc, char** argv);
int RelayHeldCommand(int argc, char** argv);
int RelayReleaseCommand(int argc, char** argv);
int RelayPurgeCommand(int argc, char** argv);

// Records one action in the case when a case was given; a failure is a warning on stderr.
void RecordRelayAction(const Cli& cli, const std::string& target, const std::string& action,
                       const std::string& outcome, const nlohmann::ordered_json& details);

// The instance's config directory: --dir, else INSTANCE_DIR/etc.
std::string RelayConfigDir(const relay::RelayConfig& c, const std::string& dir_option);

}  // namespace mxir::tools
