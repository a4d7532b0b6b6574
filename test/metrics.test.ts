// The HTTP metrics are kept by hand for speed; what a scrape shows must be what prom-client's own Counter and
// Histogram would show for the same requests, to the byte (in the Prometheus text format /metrics serves).
import client from 'prom-client';
import { HTTP_LATENCY_BUCKETS, HttpMetrics } from '../src/metrics';

const REQUESTS: Array<[method: string, route: string, status: number, seconds: number]> = [
  ['GET', '/v1/posture/summary', 200, 0.0004],
  ['GET', '/v1/posture/summary', 200, 0.005], // on a bound: counted in that bucket
  ['GET', '/v1/posture/summary', 304, 0.0051],
  ['GET', '/v1/devices/:id', 404, 0.02],
  ['POST', '/v1/tokens', 201, 0.3],
  ['POST', '/v1/tokens', 403, 7.5], // slower than the largest bound
  ['GET', 'unmatched', 404, 0],
  ['GET', '/v1/posture/summary', 200, 1.2345],
];

describe('HTTP metrics', () => {
  it('scrape exactly as prom-client Counter and Histogram do for the same requests', async () => {
    const reference = new client.Registry();
    const counter = new client.Counter({
      name: 'warden_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [reference],
    });
    const histogram = new client.Histogram({
      name: 'warden_http_request_duration_seconds',
      help: 'HTTP request latency, by route template',
      labelNames: ['method', 'route'] as const,
      buckets: HTTP_LATENCY_BUCKETS,
      registers: [reference],
    });
    const ours = new client.Registry();
    const http = new HttpMetrics();
    http.registerWith(ours);
    for (const [method, route, status, seconds] of REQUESTS) {
      counter.inc({ method, route, status: String(status) });
      histogram.observe({ method, route }, seconds);
      http.record(method, route, status, seconds);
    }
    const scraped = await ours.metrics();
    expect(scraped).toBe(await reference.metrics());
    expect(scraped).toContain(
      'warden_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/posture/summary"} 2',
    );
    expect(scraped).toContain('warden_http_request_duration_seconds_count{method="POST",route="/v1/tokens"} 2');
    expect(scraped).toContain('warden_http_requests_total{method="GET",route="unmatched",status="404"} 1');
  });
});
