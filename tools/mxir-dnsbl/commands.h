// The subcommands of mxir dnsbl; each takes its own argv (argv[0] is the subcommand's name).
#pragma once

namespace mxir::tools {

int DnsblCheck(int argc, char** argv);
int DnsblWatch(int argc, char** argv);
int DnsblDelist(int argc, char** argv);
int DnsblZones(int argc, char** argv);
int DnsblHistory(int argc, char** argv);

}  // namespace mxir::tools
