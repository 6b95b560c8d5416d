// The subcommands of mxir reset (spec/cli.md "reset"); each is a thin main over lib/hooks.
#pragma once

namespace mxir::tools {

int ResetCommand(int argc, char** argv);    // mxir reset ACCOUNT --provider P --hooks F
int ContainCommand(int argc, char** argv);  // mxir reset contain|release|purge ACCOUNT ...
int VerifyCommand(int argc, char** argv);   // mxir reset verify ACCOUNT --smtp HOST:PORT

}  // namespace mxir::tools
