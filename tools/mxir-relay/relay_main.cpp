// mxir relay — a temporary clean relay path on Postfix, with mxir's guard rails.
#include <iostream>

#include "commands.h"
#include "core/cli.h"

namespace {

void Usage(std::ostream& out) {
  out << "mxir relay — when the company's mail IP is blocklisted, send urgent mail out through a\n"
         "clean IP today: a private Postfix instance (queue, retries, TLS) with mxir's guard "
         "rails\n"
         "in front, so the compromised account or the spam backlog cannot get the new IP listed "
         "too.\n\n"
         "Usage: mxir relay COMMAND [OPTIONS]\n\n"
         "Commands:\n"
         "  config    write the private Postfix instance:  mxir relay config --config RELAY.ini\n"
         "  policy    run the guard-rail policy service (Postfix asks it about every recipient)\n"
         "  preflight check DNS (PTR/A/HELO, SPF, DKIM, DMARC), blocklists and the backlog\n"
         "  up        start the instance: auth, policy service, Postfix\n"
         "  down      stop it (Postfix first, so no mail is accepted without the guard rails)\n"
         "  status    is each part running, and what is in the queue\n"
         "  held      list mail on hold (from accounts under investigation)\n"
         "  release   send held mail on:   mxir relay release --config RELAY.ini --id QUEUEID\n"
         "  purge     delete held mail:     mxir relay purge --config RELAY.ini --sender ADDR\n\n"
         "Walk-through: docs/mxir-relay.md. Run 'mxir relay COMMAND --help' for options.\n"
         "Exit status: 0 ok; 1 a check failed; 2 bad usage or input; 3 internal error.\n";
}

}  // namespace

int mxir_relay_main(int argc, char** argv) {
  using namespace mxir::tools;
  return mxir::DispatchSubcommand("relay", argc, argv,
                                  {{"config", RelayConfigCommand},
                                   {"policy", RelayPolicyCommand},
                                   {"preflight", RelayPreflightCommand},
                                   {"up", RelayUpCommand},
                                   {"down", RelayDownCommand},
                                   {"status", RelayStatusCommand},
                                   {"held", RelayHeldCommand},
                                   {"release", RelayReleaseCommand},
                                   {"purge", RelayPurgeCommand}},
                                  Usage);
}
