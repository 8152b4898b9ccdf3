import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Telemetry } from './telemetry';

/** GET /metrics: the RPC histograms and the vsoa.server.* counters, for Prometheus to scrape. */
@Controller()
export class MetricsController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get('metrics')
  metrics(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.telemetry.prometheus.getMetricsRequestHandler(request, response);
  }
}
