#pragma once
// The one-line answer to the console's STATUS command.

#include <string>

#include "engine/node.h"

namespace engine {

// "STATUS node=0 role=leader term=3 leader=0 commit=120 applied=120 pending=2 (5 changes)
//  acked=0:118,1:118,2:117 hw=118 served=120 writes=0 imported=yes wal=1.2KiB raft-log=5.6KiB
//  disk=ok cluster=... dropped-through=118 transfer=none pending_bytes=311
//  max_pending_bytes=67108864 needs_transfer=" (one line; needs_transfer lists the members R holds
//  no changes for, comma- separated, nothing after '=' when none); while disk-faulted e.g.
//  disk=faulted(ENOSPC:raft.log:write,retrying) or
//  disk=faulted(EIO:store.wal:fsync,restart-needed).
std::string format_status(NodeId self, const NodeStatus& status);

}  // namespace engine
