// Reading a Server-Sent Events response the way EventSource does.
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads events until `stop(event)` says so or the stream ends; comments (heartbeats) are skipped. */
export async function readSse(response: Response, stop: (e: SseEvent, all: SseEvent[]) => boolean = () => false, timeoutMs = 30_000): Promise<SseEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line) continue;
          const [field, ...rest] = line.split(':');
          const v = rest.join(':').replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data') event[field] = v;
        }
        if (event.data === undefined) continue;
        events.push(event);
        if (stop(event, events)) {
          await reader.cancel();
          return events;
        }
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}
