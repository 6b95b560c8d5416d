// RunInBackground: lowers the calling thread's scheduling priority, for work that must be done
// but is not on the path that sets a tool's running time (hashing an input for its `sources`
// record, copying a WAL back into the case). On a machine with as many busy threads as cores,
// such a thread otherwise takes turns with the thread everything waits for (the one storing
// events); at a lower priority it runs mostly when a core would be idle, and it still runs (the
// priority is lowered, never set to "only when idle"), so it cannot be starved for good.
#pragma once

namespace mxir {

// Raises the calling thread's nice value by `steps` (Linux: nice is per thread). Best effort:
// a failure changes nothing else.
void RunInBackground(int steps = 10);

}  // namespace mxir
