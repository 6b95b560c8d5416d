// mxir relay up|down|status|held|release|purge: the instance's lifecycle and its held mail.
#include <climits>
#include <iostream>

#include <unistd.h>

#include "commands.h"
#include "core/file_util.h"
#include "core/record_printer.h"
#include "core/timestamp.h"
#include "hooks/command_runner.h"
#include "relay/relay_queue.h"

namespace mxir::tools {

namespace {

struct Common {
  std::string config_path, dir;
};

void AddCommon(Cli& cli, Common& c) {
  cli.options().add_options()(
      "config", po::value<std::string>(&c.config_path)->value_name("RELAY.ini"),
      "the relay's settings")("dir", po::value<std::string>(&c.dir)->value_name("DIR"),
                              "the instance's config directory [INSTANCE_DIR/etc]");
}

std::string SelfExe() {
  std::string path = ExecutablePath();
  return path.empty() ? "mxir-relay" : path;
}

std::string Abs(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
}

// Held messages selected by --sender and/or --id (at least one).
Result<std::vector<relay::QueuedMessage>> Select(relay::RelayInstance& inst,
                                                 const std::string& sender, const std::string& id,
                                                 bool held_only) {
  MXIR_ASSIGN_OR_RETURN(auto all, inst.Queue());
  std::vector<relay::QueuedMessage> out;
  for (auto& m : all) {
    if (held_only && m.queue_name != "hold") continue;
    if (!sender.empty() && relay::Lower(m.sender) != relay::Lower(sender)) continue;
    if (!id.empty() && m.queue_id != id) continue;
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::ordered_json MessageJson(const relay::QueuedMessage& m) {
  nlohmann::ordered_json j;
  j["queue_id"] = m.queue_id;
  j["queue"] = m.queue_name;
  j["sender"] = m.sender;
  j["recipients"] = m.recipients;
  j["size"] = m.message_size;
  j["arrival"] = m.arrival_time ? Timestamp::FromSeconds(m.arrival_time).ToString() : "";
  j["reason"] = m.delay_reasons.empty() ? "" : m.delay_reasons.front();
  return j;
}

int Lifecycle(int argc, char** argv, bool up) {
  Common c;
  Cli cli(
      up ? "relay up" : "relay down", up ? "start the relay instance" : "stop the relay instance",
      "--config RELAY.ini [--dir DIR] [--case FILE]",
      up ? "Starts the auth-only Dovecot, the policy service (detached; log in\n"
           "INSTANCE_DIR/policy.log) and then the private Postfix (postfix -c DIR start), each\n"
           "waited for. Postfix comes last, so no mail is accepted before the guard rails run."
         : "Stops Postfix first (no more mail accepted), then the policy service and the\n"
           "auth Dovecot. Queued mail stays in the instance's queue for the next 'up'.");
  AddCommon(cli, c);
  cli.AddCase(false);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (c.config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  auto cfg = relay::LoadRelayConfig(c.config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  hooks::SystemCommandRunner runner;
  relay::RelayInstance inst(*cfg, RelayConfigDir(*cfg, c.dir), runner);
  std::vector<std::string> steps;
  Status st = up ? inst.Up(SelfExe(), Abs(c.config_path), Abs(cli.common.case_path), &steps)
                 : inst.Down(&steps);
  for (const auto& s : steps) std::cout << s << "\n";
  RecordRelayAction(cli, inst.dir(), up ? "relay up" : "relay down", st.ok() ? "done" : "failed",
                    {{"steps", steps}, {"error", st.ok() ? "" : st.error().message}});
  if (!st.ok()) return cli.Fail(st);
  return kExitOk;
}

}  // namespace

int RelayUpCommand(int argc, char** argv) { return Lifecycle(argc, argv, true); }
int RelayDownCommand(int argc, char** argv) { return Lifecycle(argc, argv, false); }

int RelayStatusCommand(int argc, char** argv) {
  Common c;
  Cli cli("relay status", "is the relay running, and what is queued",
          "--config RELAY.ini [--dir DIR] [--format table|json]",
          "Shows each part of the relay (Postfix, policy service, auth Dovecot) with its pid, and\n"
          "the queue: messages active, deferred, on hold, with the oldest and the top senders.\n"
          "Exit 1 when a part is not running.");
  AddCommon(cli, c);
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (c.config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  auto cfg = relay::LoadRelayConfig(c.config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  hooks::SystemCommandRunner runner;
  relay::RelayInstance inst(*cfg, RelayConfigDir(*cfg, c.dir), runner);
  RecordPrinter p(std::cout, cli.common.format,
                  {{"part", "PART", 16}, {"state", "STATE", 12}, {"detail", "DETAIL", 60}});
  bool all_up = true;
  for (auto [name, pid] : {std::pair<const char*, int>{"postfix", inst.PostfixPid()},
                           {"policy", inst.PolicyPid()},
                           {"opendkim", inst.OpenDkimPid()},
                           {"auth", inst.DovecotPid()}}) {
    if (std::string(name) == "opendkim" && cfg->dkim_selector.empty()) continue;  // not signing
    all_up = all_up && pid != 0;
    p.Add({{"part", name},
           {"state", pid ? "running" : "stopped"},
           {"detail", pid ? "pid " + std::to_string(pid) : ""}});
  }
  if (inst.PostfixPid()) {
    auto q = inst.Queue();
    if (q.ok()) {
      std::map<std::string, int> by_queue, by_sender;
      for (const auto& m : *q) {
        ++by_queue[m.queue_name];
        ++by_sender[m.sender.empty() ? "<>" : m.sender];
      }
      for (const char* name : {"active", "incoming", "deferred", "hold"}) {
        p.Add({{"part", std::string("queue ") + name},
               {"state", std::to_string(by_queue[name])},
               {"detail", ""}});
      }
      std::vector<std::pair<int, std::string>> top;
      for (auto& [s, n] : by_sender) top.emplace_back(-n, s);
      std::sort(top.begin(), top.end());
      for (size_t i = 0; i < top.size() && i < 5; ++i) {
        p.Add({{"part", "top sender"},
               {"state", std::to_string(-top[i].first)},
               {"detail", top[i].second}});
      }
    } else {
      p.Add({{"part", "queue"}, {"state", "unknown"}, {"detail", q.error().message}});
    }
  }
  p.Finish();
  return all_up ? kExitOk : kExitFound;
}

int RelayHeldCommand(int argc, char** argv) {
  Common c;
  std::string sender;
  Cli cli("relay held", "mail on hold in the relay's queue",
          "--config RELAY.ini [--sender ADDR] [--format table|json|jsonl|csv]",
          "Lists the messages the policy service put on hold (accounts under investigation), by\n"
          "queue id, sender and recipients (postqueue -j of the private instance). Read one with\n"
          "'postcat -c DIR -q QUEUEID'; release or purge with 'mxir relay release|purge'.");
  AddCommon(cli, c);
  cli.options().add_options()("sender", po::value<std::string>(&sender)->value_name("ADDR"),
                              "only mail from this envelope sender");
  cli.AddFormat({"table", "json", "jsonl", "csv"}, "table");
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (c.config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  auto cfg = relay::LoadRelayConfig(c.config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  hooks::SystemCommandRunner runner;
  relay::RelayInstance inst(*cfg, RelayConfigDir(*cfg, c.dir), runner);
  auto sel = Select(inst, sender, "", true);
  if (!sel.ok()) return cli.Fail(sel.error());
  RecordPrinter p(std::cout, cli.common.format,
                  {{"queue_id", "QUEUE ID", 14},
                   {"sender", "SENDER", 30},
                   {"recipients", "RECIPIENTS", 40},
                   {"size", "SIZE", 8},
                   {"arrival", "ARRIVAL", 28}});
  for (const auto& m : *sel) p.Add(MessageJson(m));
  p.Finish();
  return kExitOk;
}

namespace {

int ReleaseOrPurge(int argc, char** argv, bool release) {
  Common c;
  std::string sender, id;
  bool all_queues = false;
  Cli cli(release ? "relay release" : "relay purge",
          release ? "send held mail on" : "delete held mail",
          "--config RELAY.ini (--sender ADDR | --id QUEUEID) [--case FILE]",
          release ? "Releases held messages (postsuper -H) chosen by sender or queue id: they go\n"
                    "out through the relay. Each message released is recorded in the case."
                  : "Deletes held messages (postsuper -d) chosen by sender or queue id. With\n"
                    "--all-queues, also the sender's deferred and active mail (the spam backlog).\n"
                    "Each message deleted is recorded in the case.");
  AddCommon(cli, c);
  cli.options().add_options()("sender", po::value<std::string>(&sender)->value_name("ADDR"),
                              "the envelope sender whose held mail to act on")(
      "id", po::value<std::string>(&id)->value_name("QUEUEID"), "one message by queue id");
  if (!release) {
    cli.options().add_options()("all-queues", po::bool_switch(&all_queues),
                                "not only held mail: every queue");
  }
  cli.AddCase(false);
  if (auto rc = cli.Parse(argc, argv)) return *rc;
  if (c.config_path.empty()) return cli.UsageError("--config RELAY.ini is required");
  if (sender.empty() && id.empty())
    return cli.UsageError("say which mail: --sender ADDR or --id QUEUEID");
  if (!id.empty() && !relay::ValidQueueId(id))
    return cli.UsageError("'" + id + "' is not a queue id");
  auto cfg = relay::LoadRelayConfig(c.config_path);
  if (!cfg.ok()) return cli.Fail(cfg.error());
  hooks::SystemCommandRunner runner;
  relay::RelayInstance inst(*cfg, RelayConfigDir(*cfg, c.dir), runner);
  auto sel = Select(inst, sender, id, !all_queues);
  if (!sel.ok()) return cli.Fail(sel.error());
  if (sel->empty()) {
    std::cerr << "mxir " << cli.name() << ": no " << (all_queues ? "queued" : "held")
              << " mail matches\n";
    return kExitOk;
  }
  int failed = 0;
  for (const auto& m : *sel) {
    Status st = release ? inst.Release(m.queue_id) : inst.Purge(m.queue_id);
    std::cout << (release ? "released " : "deleted ") << m.queue_id << " from " << m.sender
              << (st.ok() ? "" : " FAILED: " + st.error().message) << "\n";
    auto details = MessageJson(m);
    if (!st.ok()) details["error"] = st.error().message;
    RecordRelayAction(cli, m.sender.empty() ? "<>" : m.sender,
                      release ? "relay release" : "relay purge", st.ok() ? "done" : "failed",
                      details);
    if (!st.ok()) ++failed;
  }
  return failed ? kExitInternal : kExitOk;
}

}  // namespace

int RelayReleaseCommand(int argc, char** argv) { return ReleaseOrPurge(argc, argv, true); }
int RelayPurgeCommand(int argc, char** argv) { return ReleaseOrPurge(argc, argv, false); }

}  // namespace mxir::tools
