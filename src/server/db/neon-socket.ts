// The WebSocket the Neon driver talks to its proxy through. The driver's own write coalescing
// (`coalesceWrites`) gathers a query's protocol messages (parse, bind, describe, execute, sync) with
// `setTimeout(0)`, which in Node waits at least a millisecond: every statement waited for that timer,
// about half of what one costs on loopback. Here a query's writes are gathered within the same turn
// of the event loop (a microtask) instead: still one WebSocket message per query, sent at once.
import WebSocket from 'ws';

export class CoalescingWebSocket extends WebSocket {
  private pending: Uint8Array[] = [];

  override send(data: unknown, ...rest: unknown[]): void {
    // The driver sends bytes alone; anything else goes as it came.
    if (rest.length > 0 || !(data instanceof Uint8Array)) return (super.send as (...args: unknown[]) => void)(data, ...rest);
    if (this.pending.push(data) > 1) return;
    queueMicrotask(() => {
      const parts = this.pending;
      this.pending = [];
      // Closed meanwhile: the driver hears the close and fails the query; the bytes have nowhere to go.
      if (this.readyState !== WebSocket.OPEN) return;
      super.send(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    });
  }
}
