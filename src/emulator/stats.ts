// What the local cloud has seen: requests per route and status, bytes received per route, faults
// fired. Tests read it through GET /_emulator/stats to count what really reached the platform.
export class Stats {
  requests: Record<string, Record<string, number>> = {};
  bytesReceived: Record<string, number> = {};

  recordRequest(route: string, status: number): void {
    const byStatus = (this.requests[route] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  recordBytes(route: string, bytes: number): void {
    this.bytesReceived[route] = (this.bytesReceived[route] ?? 0) + bytes;
  }

  reset(): void {
    this.requests = {};
    this.bytesReceived = {};
  }
}
