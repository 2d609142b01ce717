import { createServer, type Server } from 'node:http';
import { answerClientErrorsAsProblems, metricsRegistry, type Logger } from '@finance/shared/http';

/**
 * The gateway's Prometheus metrics, on their own port (METRICS_PORT) and never on the public
 * one: only the cluster's scraper reaches it (the NetworkPolicy admits the monitoring
 * namespace to this port alone). GET /metrics; anything else is a 404 problem+json.
 */
export function createMetricsServer(logger: Logger): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    res.setHeader('Cache-Control', 'no-store');
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      metricsRegistry.metrics().then(
        (text) => {
          res.setHeader('Content-Type', metricsRegistry.contentType);
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'could not collect metrics');
          res.statusCode = 500;
          res.end();
        },
      );
      return;
    }
    const status = path === '/metrics' ? 405 : 404;
    const body = JSON.stringify({
      type: 'about:blank',
      title: status === 405 ? 'Method Not Allowed' : 'Not Found',
      status,
      detail: status === 405 ? 'Only GET /metrics is served here' : 'Only /metrics is served here',
    });
    res.statusCode = status;
    if (status === 405) res.setHeader('Allow', 'GET, HEAD');
    res.setHeader('Content-Type', 'application/problem+json');
    res.end(body);
  });
  answerClientErrorsAsProblems(server, { logger });
  return server;
}
