// IniFile: the small INI dialect of mxir's config files (hooks file, detect --config):
// `[section]` headers, `key = value` lines, `#` or `;` comments, values trimmed, no escapes.
// Keys before any section belong to section "". A repeated key keeps the last value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mxir {

// The word of `known` closest to `word` by edit distance (for "did you mean"), or "" when none is
// close (more than a third of the word would have to change).
std::string NearestWord(const std::string& word, const std::vector<std::string>& known);

class IniFile {
 public:
  using Section = std::map<std::string, std::string>;

  static Result<IniFile> Parse(const std::string& text, const std::string& name_for_errors);
  // Loads a file; with `require_private`, refuses one that group or others can read (secrets may
  // be referenced from it), or that belongs to another user than the one running mxir and root,
  // or whose directory does (or is writable by group or others, unless sticky): such a file
  // names programs mxir runs, often as root. The error tells the user how to fix it.
  static Result<IniFile> Load(const std::string& path, bool require_private);

  bool HasSection(const std::string& section) const { return sections_.count(section) > 0; }
  const Section* Find(const std::string& section) const;
  std::optional<std::string> Get(const std::string& section, const std::string& key) const;
  std::string GetOr(const std::string& section, const std::string& key,
                    const std::string& fallback) const;
  std::vector<std::string> SectionNames() const;

 private:
  std::map<std::string, Section> sections_;
};

}  // namespace mxir
