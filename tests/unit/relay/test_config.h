// A RELAY.ini for the relay unit tests, with small limits so edges are cheap to reach.
#pragma once

#include <string>

#include "core/ini_file.h"
#include "relay/relay_config.h"

namespace mxir::relay::testing {

inline std::string TestIni(const std::string& extra = "") {
  return "[relay]\n"
         "listen_ip = 192.0.2.25\n"
         "hostname = relay.company.example\n"
         "domains = company.example, Company2.example\n"
         "instance_dir = /var/lib/mxir-relay-test\n"
         "tls_cert_file = /etc/mxir/relay.crt\n"
         "tls_key_file = /etc/mxir/relay.key\n"
         "max_recipients_per_message = 5\n"
         "max_recipients_per_hour = 20\n"
         "max_messages_per_hour = 6\n"
         "max_recipients_per_hour_per_client = 30\n"
         "max_recipient_domains_per_hour = 4\n"
         "max_null_sender_per_hour = 3\n"
         "investigate = mallory@company.example\n" +
         extra +
         "[logins]\n"
         "relay = secret_file:/etc/mxir/relay.pw\n"
         "alice@company.example = secret_file:/etc/mxir/alice.pw\n";
}

inline RelayConfig TestConfig(const std::string& extra = "") {
  auto ini = IniFile::Parse(TestIni(extra), "test.ini");
  auto c = ParseRelayConfig(*ini, "test.ini");
  return *c;
}

}  // namespace mxir::relay::testing
