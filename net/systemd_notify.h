#pragma once
// Readiness and shutdown notices to systemd for `Type=notify` units (sd_notify(3)'s datagram
// protocol, without linking libsystemd): a no-op unless systemd set NOTIFY_SOCKET.

#include <string>
#include <string_view>

namespace net {

// Sends `state` (e.g. "READY=1", "STOPPING=1") as one datagram to $NOTIFY_SOCKET: a filesystem
// path, or an abstract socket when it starts with '@'. Returns false, having done nothing,
// when NOTIFY_SOCKET is unset; throws nothing: a failed send is logged once per call as a
// warning (the node keeps running; systemd will time the start out) and returns false.
bool notify_systemd(std::string_view state);

// The same, to an explicit socket address (as NOTIFY_SOCKET would hold it); for tests.
bool notify_systemd_at(const std::string& socket, std::string_view state);

}  // namespace net
