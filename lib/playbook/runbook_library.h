// The runbook folder: where it is, the runbooks in it, and one runbook by its id.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "playbook/runbook.h"

namespace mxir::playbook {

// `given` (--playbooks DIR) when set, else MXIR_PLAYBOOKS, else the source tree's playbooks/
// next to build/bin, else an installed share/mxir/playbooks, else "playbooks".
std::string RunbookFolder(const std::string& given);

// The folder's *.yaml files, sorted; an error saying what to do when it cannot be read.
Result<std::vector<std::string>> RunbookFiles(const std::string& dir);

// `dir`/`id`.yaml, loaded and checked; an id with a '/' or a leading '.' is refused (usage).
Result<Runbook> LoadRunbookById(const std::string& dir, const std::string& id);

}  // namespace mxir::playbook
