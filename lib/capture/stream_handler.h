// lib/capture's names for the stream seam of core/stream_handler.h: capture produces the streams
// that a protocol module's StreamHandler consumes.
#pragma once

#include "core/stream_handler.h"

namespace mxir::capture {

using stream::Direction;
using stream::EndState;
using stream::EndStateName;
using stream::FlowInfo;
using stream::StreamHandler;
using stream::StreamHandlerFactory;

}  // namespace mxir::capture
