// Cli: the shared shape of every tool's command line (spec/cli.md), over Boost.Program_options.
//
// A tool makes one Cli per (sub)command, adds its own options plus the common ones it supports
// (--case/--create, --format, --since/--until, --stats), calls Parse(), then reads `common`.
// Parse() handles --help (with the tool's explanation and exit statuses), --version, unknown
// options and bad values; Fail() prints "mxir TOOL: error: ..." and returns the exit status.
#pragma once

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/record_printer.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace mxir {

namespace po = boost::program_options;

// Exit statuses of spec/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;     // --fail-on matched
inline constexpr int kExitUsage = 2;     // bad usage or input
inline constexpr int kExitInternal = 3;  // internal error

struct CommonOptions {
  std::string case_path;  // --case or MXIR_CASE; empty when not given
  bool create = false;    // --create
  OutputFormat format = OutputFormat::kTable;
  std::optional<Timestamp> since, until;
  bool stats_json = false;  // --stats json
};

class Cli {
 public:
  // `name` as users type it ("case new", "capture"); `summary` is one line; `description` is the
  // paragraph(s) --help shows under the usage line; `usage` is the synopsis after the name.
  Cli(std::string name, std::string summary, std::string usage, std::string description);

  po::options_description& options() { return options_; }
  // Positional arguments: `name` maps to an option already added; max -1 for any number.
  void AddPositional(const char* name, int max_count);

  void AddCase(bool allow_create);
  void AddFormat(std::vector<std::string> allowed, std::string default_format);
  void AddTimeRange();
  void AddStats();
  // Extra text at the end of --help (examples, notes).
  void AddEpilog(std::string text) { epilog_ += text; }

  // nullopt: go on. A value: stop and return it as the exit status (help shown, or an error).
  std::optional<int> Parse(int argc, char** argv);
  bool Has(const std::string& option) const {
    return vm_.count(option) > 0 && !vm_[option].defaulted();
  }
  const po::variables_map& vm() const { return vm_; }

  // Prints "mxir NAME: error: message" (and a hint for usage errors); returns the exit status.
  int Fail(const Error& error) const;
  int Fail(const Status& status) const { return Fail(status.error()); }
  int UsageError(const std::string& message) const;
  // Prints "mxir NAME: warning: message".
  void Warn(const std::string& message) const;
  void PrintHelp() const;
  const std::string& name() const { return name_; }

  // Requires a case path (exit-2 error text of the contract when missing).
  Status RequireCase() const;

  CommonOptions common;

 private:
  std::string name_, summary_, usage_, description_, epilog_;
  po::options_description options_;
  po::positional_options_description positional_;
  po::variables_map vm_;
  bool has_case_ = false, has_format_ = false, has_time_ = false, has_stats_ = false;
  std::string format_text_, since_text_, until_text_, stats_text_, display_tz_;
  bool display_tz_option_ = false, wide_ = false;
  std::vector<std::string> formats_;
};

// A tool with subcommands (`mxir case new ...`): a name and the function that runs it.
struct Subcommand {
  const char* name;
  int (*run)(int argc, char** argv);  // sees the subcommand's name as argv[0]
};

// Runs the subcommand named by argv[1]. No command prints `usage` to stderr (exit 2); --help,
// -h or help prints it to stdout (exit 0); --version prints the version; an unknown command is
// an error naming it (exit 2). `tool` is the name users type ("case").
int DispatchSubcommand(const char* tool, int argc, char** argv,
                       std::initializer_list<Subcommand> commands,
                       void (*usage)(std::ostream& out));

}  // namespace mxir
