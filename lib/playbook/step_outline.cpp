#include "playbook/step_outline.h"

#include <string>

#include "playbook/render.h"

namespace mxir::playbook {

void WriteStepOutline(std::ostream& out, const std::vector<Step>& steps, int depth) {
  std::string pad(2 * depth + 2, ' ');
  for (const auto& s : steps) {
    out << pad << "- " << s.id << " (" << StepTypeName(s.type) << ")";
    if (!s.title.empty()) out << ": " << s.title;
    out << "\n";
    if (!s.when.empty()) out << pad << "    only when " << s.when << "\n";
    switch (s.type) {
      case StepType::kRun:
        out << pad << "    $ " << ShellQuoted(s.run) << (s.mutates ? "   [changes something]" : "")
            << "\n";
        break;
      case StepType::kAsk:
      case StepType::kCheck:
        out << pad << "    asks: " << s.question << "\n";
        break;
      case StepType::kGate:
        out << pad << "    you type: " << s.confirm << "\n";
        break;
      case StepType::kIf:
        out << pad << "    if " << s.condition << ":\n";
        WriteStepOutline(out, s.then_steps, depth + 2);
        if (!s.else_steps.empty()) {
          out << pad << "    otherwise:\n";
          WriteStepOutline(out, s.else_steps, depth + 2);
        }
        break;
      case StepType::kSwitch:
        for (const auto& c : s.cases) {
          out << pad << "    when " << s.on << " is " << c.first << ":\n";
          WriteStepOutline(out, c.second, depth + 2);
        }
        if (!s.default_steps.empty()) {
          out << pad << "    otherwise:\n";
          WriteStepOutline(out, s.default_steps, depth + 2);
        }
        break;
      case StepType::kRepeat:
        out << pad << "    every " << s.every_s / 3600.0 << " h until " << s.until << " (at most "
            << s.max_s / 86400.0 << " days):\n";
        WriteStepOutline(out, s.body, depth + 2);
        break;
      case StepType::kEnd:
        out << pad << "    outcome: " << s.outcome << "\n";
        break;
      default:
        break;
    }
  }
}

}  // namespace mxir::playbook
