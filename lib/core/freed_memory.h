// KeepFreedMemory: a long-running process that frees and makes again large arrays at every
// round (mxir detect --follow) asks its allocator to keep the pages it frees.
#pragma once

namespace mxir {

// When the process runs on jemalloc (mxir-detect is linked with it: tools/mxir-detect), its
// arenas stop giving freed pages back to the system: with jemalloc's default decay (10 s) they
// went back between two --follow passes, and the next pass paid a page fault per page to get
// them again (half of a pass's analysis time on the casedb benchmark's 3.6 M-event case). The
// process then stays at the size of its largest round, which it reaches at every round anyway.
// Returns false, changing nothing, under another allocator (glibc's, the sanitizers').
bool KeepFreedMemory();

}  // namespace mxir
