#include "detect/finding_output.h"

#include <cctype>
#include <sstream>

#include "core/display_time.h"

namespace mxir::detect {

namespace {

std::vector<Column> TableColumns() {
  return {{"severity", "SEVERITY", 8}, {"kind", "KIND", 20},       {"host", "HOST", 39},
          {"account", "ACCOUNT", 32},  {"verdict", "VERDICT", 64}, {"last_seen", "LAST SEEN", 27}};
}

nlohmann::ordered_json Row(const Finding& f) {
  nlohmann::ordered_json r;
  r["severity"] = SeverityName(f.severity);
  r["kind"] = f.kind;
  r["host"] = f.client_ip.empty() ? "-" : f.client_ip;
  r["account"] = AccountText(f);
  r["verdict"] = f.evidence.value("verdict", f.kind);
  r["last_seen"] = f.last_seen.ToString();
  return r;
}

// Wraps a paragraph at `width` columns with `indent` spaces before each line.
void Wrap(std::ostream& out, const std::string& text, size_t indent, size_t width) {
  std::istringstream words(text);
  std::string word, line;
  const std::string pad(indent, ' ');
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width - indent) {
      out << pad << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out << pad << line << "\n";
}

}  // namespace

std::string AccountText(const Finding& f) {
  if (!f.user.empty()) return f.user;
  if (f.users.size() == 1) return f.users.front();
  if (!f.users.empty()) return std::to_string(f.users.size()) + " accounts";
  return "-";
}

void PrintFindings(std::ostream& out, OutputFormat format, bool explain,
                   const std::vector<Finding>& findings, const std::string& case_path) {
  if (format == OutputFormat::kJson || format == OutputFormat::kJsonl) {
    RecordPrinter p(out, format, {});
    for (const Finding& f : findings) p.Add(FindingToJson(f));
    p.Finish();
    return;
  }
  if (!explain || format != OutputFormat::kTable) {
    RecordPrinter p(out, format, TableColumns());
    p.set_empty_text("No findings.");
    for (const Finding& f : findings) p.Add(Row(f));
    p.Finish();
    return;
  }
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    std::string sev = SeverityName(f.severity);
    for (char& c : sev) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out << (i ? "\n" : "") << "[" << sev << "] " << f.kind << "  host "
        << (f.client_ip.empty() ? "-" : f.client_ip) << "  account " << AccountText(f) << "\n";
    out << "  " << f.evidence.value("verdict", f.kind) << " (" << DisplayTime(f.first_seen)
        << " to " << DisplayTime(f.last_seen) << ")\n\n";
    Wrap(out, DisplayTimesInText(f.explanation), 2, 100);
    if (!f.next_steps.empty()) {
      out << "\n  Next steps:\n";
      for (size_t k = 0; k < f.next_steps.size(); ++k) {
        std::string head = "  " + std::to_string(k + 1) + ". ";
        std::ostringstream step;
        Wrap(step, DisplayTimesInText(f.next_steps[k]), head.size(), 100);
        std::string s = step.str();
        out << head << s.substr(head.size());
      }
    }
    out << "\n  Playbook: " << f.playbook << "   Id: " << f.id << "\n";
    if (!f.playbook.empty())
      out << "  Walk through it: mxir playbook run " << f.playbook << " --case "
          << (case_path.empty() ? std::string("CASE") : case_path) << " --finding " << f.id << "\n";
  }
  if (findings.empty()) out << "No findings.\n";
}

}  // namespace mxir::detect
