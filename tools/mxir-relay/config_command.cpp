// mxir relay config: writes the private Postfix instance and checks it.
#include <iostream>

#include <unistd.h>

#include "casedb/action_log.h"
#include "casedb/case_db.h"
#include "commands.h"
#include "hooks/command_runner.h"
#include "relay/instance_writer.h"
#include "relay/main_cf_check.h"
#include "relay/postfix_config.h"

namespace mxir::tools {

std::string RelayConfigDir(const relay::RelayConfig& c, const std::string& dir_option) {
  return dir_option.empty() ? c.instance_dir + "/etc" : dir_option;
}

void RecordRelayAction(const Cli& cli, const std::string& target, const std::string& action,
                       const std::string& outcome, const nlohmann::ordered_json& details) {
  if (cli.common.case_path.empty()) return;
  auto db = casedb::CaseDb::Open(cli.common.case_path, cli.common.create, "relay");
  if (!db.ok()) {
    cli.Warn("not recorded in the case: " + db.error().message);
    return;
  }
  casedb::ActionLog log(*db);
  if (auto st = log.Record("relay", target, action, outcome, details); !st.ok()) {
    cli.Warn("not recorded in the case: " + st.error().message);
  }
}

int RelayConfigCommand(int argc, char** argv) {
  std::string config_path, out_dir;
  bool no_check = false;
  Cli cli("relay config", "write the relay's private Postfix instance",
          "--config RELAY.ini [--out DIR] [--no-check] [--case FILE]",
          "Writes a complete private Postfix instance for the temporary relay into DIR (default\n"
          "INSTANCE_DIR/etc): main.cf, master.cf, the sender-login map, the cold-IP transport\n"
          "map, an auth-only Dovecot config and its password file (hashes of the [logins]\n"
          "secrets), and creates the instance's own queue and data directories. The system's\n"
          "/etc/postfix is never read or changed. Then it checks the dangerous settings (open\n"
          "relay, smuggling, fail-closed policy) and runs 'postfix -c DIR check'.");
  cli.options().add_options()("config",
                              po::value<std::string>(&config_path)->value_name("RELAY.ini"),
                              "the relay's settings (see docs/mxir-relay.md)")(
      "out", po::value<std::string>(&out_dir)->value_name("DIR"),
      "where to write the instance's configuration [INSTANCE_DIR/etc]")(
      "no-check", po::bool_switch(&no_check), "do not run 'postfix check' afterwards");
  cli.AddCase(true);
  cli.AddEpilog(
      "\nExample:\n  mxir relay config --config /etc/mxir/relay.ini --case incident.case\n");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  auto cfg = relay::LoadRelayConfig(config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  std::string dir = RelayConfigDir(*cfg, out_dir);
  if (dir.empty() || dir[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) dir = std::string(cwd) + "/" + dir;
  }
  if (dir == "/etc/postfix" || dir.rfind("/etc/postfix/", 0) == 0) {
    return cli.UsageError(
        "--out must not be the system's /etc/postfix: use a directory of its own");
  }
  for (const auto& f : relay::GenerateInstanceFiles(*cfg, dir)) {
    if (f.name != "main.cf") continue;
    auto bad = relay::CheckMainCf(f.content);
    if (!bad.empty()) {
      std::string all;
      for (const auto& b : bad) all += "\n  " + b;
      return cli.Fail(MakeError(ErrorCode::kInternal, "the generated main.cf is unsafe:" + all));
    }
  }
  std::vector<std::string> written;
  if (auto st = relay::WriteInstance(*cfg, dir, &written); !st.ok()) return cli.Fail(st);
  for (const auto& w : written) std::cout << dir << "/" << w << "\n";
  std::string check = "skipped";
  if (!no_check) {
    hooks::SystemCommandRunner runner;
    hooks::CommandSpec spec;
    spec.argv = {"postfix", "-c", dir, "check"};
    auto r = runner.Run(spec);
    if (!r.ok()) {
      return cli.Fail(MakeError(
          ErrorCode::kNotFound,
          "cannot run postfix (" + r.error().message + "): install Postfix, or pass --no-check"));
    }
    if (r->exit_status != 0 || !r->output.empty()) {
      std::cerr << r->output;
      RecordRelayAction(cli, dir, "relay config", "failed",
                        {{"config", config_path}, {"postfix_check", r->output.substr(0, 2000)}});
      return cli.Fail(
          MakeError(ErrorCode::kInvalidInput,
                    "'postfix -c " + dir + " check' complained (above); fix RELAY.ini"));
    }
    check = "passed";
  }
  std::cerr << "mxir relay config: wrote " << written.size() << " files to " << dir
            << "; dangerous settings checked; postfix check " << check
            << ".\nNext: mxir relay preflight --config " << config_path
            << ", then mxir relay up --config " << config_path << "\n";
  RecordRelayAction(cli, dir, "relay config", "done",
                    {{"config", config_path}, {"files", written}, {"postfix_check", check}});
  return kExitOk;
}

}  // namespace mxir::tools
