// mxir reset — force password resets, end sessions and contain accounts through provider hooks.
#include <cstring>
#include <iostream>
#include <string>

#include "core/process_info.h"
#include "reset_commands.h"

int mxir_reset_main(int argc, char** argv) {
  // New passwords live in this process: a crash must not leave them in a core file.
  mxir::DisableCoreDumps();
  if (argc >= 2) {
    std::string cmd = argv[1];
    if (cmd == "verify") return mxir::tools::VerifyCommand(argc - 1, argv + 1);
    if (cmd == "contain" || cmd == "release" || cmd == "purge") {
      return mxir::tools::ContainCommand(argc - 1, argv + 1);
    }
  }
  return mxir::tools::ResetCommand(argc, argv);
}
