#include "core/cli.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>

#include "core/clock.h"
#include "core/display_time.h"
#include "core/version.h"

namespace mxir {

Cli::Cli(std::string name, std::string summary, std::string usage, std::string description)
    : name_(std::move(name)),
      summary_(std::move(summary)),
      usage_(std::move(usage)),
      description_(std::move(description)),
      options_("Options", 100, 50) {
  options_.add_options()("help,h", "show this help and exit")("version",
                                                              "show the version and exit");
}

void Cli::AddPositional(const char* name, int max_count) { positional_.add(name, max_count); }

void Cli::AddCase(bool allow_create) {
  has_case_ = true;
  options_.add_options()("case", po::value<std::string>(&common.case_path)->value_name("FILE"),
                         "the case database (default: $MXIR_CASE); make one with `mxir case new`");
  if (allow_create) {
    options_.add_options()("create", po::bool_switch(&common.create),
                           "create the case file if it does not exist yet");
  }
}

namespace {

// The --format help naming only the formats this tool offers.
std::string FormatHelp(const std::vector<std::string>& formats) {
  std::string out = "output format:";
  for (const auto& f : formats) {
    out += (out.back() == ':' ? " " : ", ");
    if (f == "table") {
      out += "table for a person";
    } else if (f == "json") {
      out += "json (one array)";
    } else if (f == "jsonl") {
      out += "jsonl (one object per line)";
    } else if (f == "csv") {
      out += "csv";
    } else {
      out += f;
    }
  }
  return out;
}

}  // namespace

void Cli::AddFormat(std::vector<std::string> allowed, std::string default_format) {
  has_format_ = true;
  formats_ = std::move(allowed);
  std::string list;
  for (const auto& f : formats_) list += (list.empty() ? "" : "|") + f;
  options_.add_options()(
      "format",
      po::value<std::string>(&format_text_)->default_value(default_format)->value_name(list),
      FormatHelp(formats_).c_str());
  if (std::find(formats_.begin(), formats_.end(), "table") != formats_.end()) {
    options_.add_options()("wide", po::bool_switch(&wide_),
                           "table: one line per record, nothing wrapped to fit the terminal");
  }
}

void Cli::AddTimeRange() {
  has_time_ = true;
  options_.add_options()("since", po::value<std::string>(&since_text_)->value_name("TIME"),
                         "only records at or after TIME (RFC 3339, or a date like 2026-11-23)")(
      "until", po::value<std::string>(&until_text_)->value_name("TIME"),
      "only records before TIME");
}

void Cli::AddStats() {
  has_stats_ = true;
  options_.add_options()("stats", po::value<std::string>(&stats_text_)->value_name("json"),
                         "print the run's counters as one JSON object on stderr at the end");
}

void Cli::PrintHelp() const {
  std::cout << "mxir " << name_ << " — " << summary_ << "\n\n"
            << "Usage: mxir " << name_ << " " << usage_ << "\n\n";
  if (!description_.empty()) std::cout << description_ << "\n\n";
  // Options without a value name would show Boost's "arg": name the value after the option.
  std::ostringstream opts;
  opts << options_;
  static const std::regex kArg("--([a-z][a-z0-9-]*) arg\\b");
  std::string text = opts.str(), fixed;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kArg);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    std::string upper;
    for (char c : name) upper += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    fixed += text.substr(last, it->position() - last) + "--" + name + " " + upper;
    last = it->position() + it->length();
  }
  fixed += text.substr(last);
  std::cout << fixed << "\n";
  if (!epilog_.empty()) {
    std::cout << epilog_;
    if (epilog_.back() != '\n') std::cout << "\n";
    std::cout << "\n";
  }
  // One "Exit status" paragraph: the tool's own when it has one, else the contract's, naming
  // --fail-on only where the tool offers it.
  if (epilog_.find("Exit status") == std::string::npos &&
      description_.find("Exit status") == std::string::npos) {
    std::cout << "Exit status: 0 ok; "
              << (options_.find_nothrow("fail-on", false) ? "1 found what --fail-on asked about; "
                                                          : "")
              << "2 bad usage or input; 3 internal error; 130 interrupted (Ctrl-C).\n";
  }
}

std::optional<int> Cli::Parse(int argc, char** argv) {
  // Every tool shows times in the display zone; --tz chooses it unless the tool's own --tz means
  // something else (ingest: the zone the log lines were written in).
  if (!options_.find_nothrow("tz", false)) {
    display_tz_option_ = true;
    options_.add_options()("tz", po::value<std::string>(&display_tz_)->value_name("ZONE"),
                           "show times in ZONE, e.g. Asia/Tokyo (default: $MXIR_TZ, else the "
                           "system's zone); JSON output stays UTC");
  }
  try {
    po::store(
        po::command_line_parser(argc, argv)
            .options(options_)
            .positional(positional_)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        vm_);
    if (vm_.count("help")) {
      PrintHelp();
      return kExitOk;
    }
    if (vm_.count("version")) {
      std::cout << "mxir " << MXIR_VERSION << "\n";
      return kExitOk;
    }
    po::notify(vm_);
  } catch (const po::error& e) {
    return UsageError(e.what());
  }
  if (Status s = CheckNowOverride(); !s.ok()) return Fail(s);
  if (Status s = SetDisplayZone(display_tz_option_ ? display_tz_ : ""); !s.ok()) {
    return Fail(MakeError(ErrorCode::kUsage, s.error().message));
  }
  SetTableWide(wide_);
  if (has_case_ && common.case_path.empty()) {
    if (const char* env = std::getenv("MXIR_CASE"); env && *env) common.case_path = env;
  }
  if (has_format_) {
    auto f = ParseOutputFormat(format_text_, formats_);
    if (!f.ok()) return Fail(f.error());
    common.format = *f;
  }
  if (has_time_) {
    if (!since_text_.empty()) {
      auto t = ParseTimestamp(since_text_);
      if (!t.ok()) return Fail(t.error().WithContext("--since"));
      common.since = *t;
    }
    if (!until_text_.empty()) {
      auto t = ParseTimestamp(until_text_);
      if (!t.ok()) return Fail(t.error().WithContext("--until"));
      common.until = *t;
    }
  }
  if (has_stats_ && !stats_text_.empty()) {
    if (stats_text_ != "json") return UsageError("--stats takes 'json'");
    common.stats_json = true;
  }
  return std::nullopt;
}

Status Cli::RequireCase() const {
  if (common.case_path.empty()) {
    return MakeError(ErrorCode::kUsage,
                     "no case given: pass --case FILE or set MXIR_CASE (make one with `mxir case "
                     "new --case FILE --title TEXT`)");
  }
  return Status::Ok();
}

int Cli::Fail(const Error& error) const {
  std::cerr << "mxir " << name_ << ": error: " << error.message << "\n";
  if (error.code == ErrorCode::kUsage) {
    std::cerr << "Try 'mxir " << name_ << " --help' for the options.\n";
  }
  return error.ExitStatus();
}

int Cli::UsageError(const std::string& message) const {
  return Fail(MakeError(ErrorCode::kUsage, message));
}

void Cli::Warn(const std::string& message) const {
  std::cerr << "mxir " << name_ << ": warning: " << message << "\n";
}

int DispatchSubcommand(const char* tool, int argc, char** argv,
                       std::initializer_list<Subcommand> commands,
                       void (*usage)(std::ostream& out)) {
  if (argc < 2) {
    usage(std::cerr);
    return kExitUsage;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(std::cout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::cout << "mxir " << MXIR_VERSION << "\n";
    return kExitOk;
  }
  for (const auto& c : commands) {
    if (cmd == c.name) return c.run(argc - 1, argv + 1);
  }
  std::cerr << "mxir " << tool << ": error: unknown command '" << cmd << "'\nTry 'mxir " << tool
            << " --help' for the commands.\n";
  return kExitUsage;
}

}  // namespace mxir
