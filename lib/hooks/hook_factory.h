// LoadProviderHook: makes the named provider's hook from the hooks file (spec/cli.md "reset"):
// an INI file with one [provider] section each, refused when group or others can read it, secrets
// only by reference (secret_file / secret_env; for google, service_account_file). Every key a
// provider reads is listed in docs/mxir-reset.md. Unknown providers, missing keys and bad values
// are kUsage errors naming the section and key.
//
// The LoadedHook owns what the hook talks through (the HTTPS client, the command runner), unless
// the caller passes its own (tests pass fakes).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ini_file.h"
#include "hooks/command_runner.h"
#include "hooks/http_client.h"
#include "hooks/provider_hook.h"

namespace mxir::hooks {

class LoadedHook {
 public:
  ProviderHook& hook() { return *hook_; }
  ProviderHook* operator->() { return hook_.get(); }

 private:
  friend Result<LoadedHook> MakeProviderHook(const IniFile&, const std::string&, const Clock&,
                                             HttpClient*, CommandRunner*);
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<CommandRunner> runner_;
  std::unique_ptr<ProviderHook> hook_;
};

// The providers mxir knows, for --help and errors.
const std::vector<std::string>& KnownProviders();

Result<LoadedHook> MakeProviderHook(const IniFile& hooks, const std::string& provider,
                                    const Clock& clock, HttpClient* http = nullptr,
                                    CommandRunner* runner = nullptr);

// IniFile::Load(path, require_private = true) with a hint about what the file is.
Result<IniFile> LoadHooksFile(const std::string& path);

}  // namespace mxir::hooks
