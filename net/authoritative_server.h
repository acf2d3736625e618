#pragma once
// An authoritative DNS server (UDP + TCP) for whatever a dns::Database holds.

#include <memory>

#include "dns/zone_db.h"
#include "net/dns_server.h"
#include "net/metrics_dns.h"
#include "net/update_service.h"
#include "net/zone_query_handler.h"

namespace net {

// Serves `db` on one address. Used by standalone mode (data from zone files) and cluster mode
// (data applied from raft); whoever owns `db` may publish new versions at any time. With
// `metrics`, every worker counts its queries there (it must outlive the server). With `updates`,
// DNS UPDATE requests go there (cluster mode); without, they get NOTIMP. With `transfers`, AXFR
// and IXFR requests go there (cluster mode); without, they get REFUSED. With `signed_queries`,
// queries carrying a TSIG record are answered signed (cluster mode); without, unsigned.
class AuthoritativeServer {
 public:
  AuthoritativeServer(const dns::Database& db, const ListenAddress& listen,
                      const ServerOptions& options = {}, DnsMetrics* metrics = nullptr,
                      UpdateService* updates = nullptr, TransferSink* transfers = nullptr,
                      const SignedQueryService* signed_queries = nullptr)
      : server_(
            [&db, metrics, updates, transfers, signed_queries]() -> std::unique_ptr<QueryHandler> {
              std::unique_ptr<QueryHandler> handler =
                  std::make_unique<ZoneQueryHandler>(db, updates, transfers, signed_queries);
              if (metrics == nullptr) return handler;
              return metrics->metered(std::move(handler));
            },
            listen, options) {}
  void start() { server_.start(); }
  void stop() { server_.stop(); }
  const ListenAddress& address() const { return server_.address(); }
  unsigned threads() const { return server_.threads(); }

 private:
  DnsServer server_;
};

}  // namespace net
