'use client';
// Follows a deployment over Server-Sent Events; EventSource reconnects with Last-Event-ID by itself.
import { useEffect, useState } from 'react';
import { isTerminalStatus, type DeploymentStatusEvent } from '@/lib/deployment';

export function useDeploymentEvents(deploymentId: string | null) {
  const [events, setEvents] = useState<DeploymentStatusEvent[]>([]);
  useEffect(() => {
    setEvents([]);
    if (!deploymentId) return;
    const source = new EventSource(`/api/deployments/${deploymentId}/events`);
    source.addEventListener('status', (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as Omit<DeploymentStatusEvent, 'id'>;
      const event = { ...data, id: Number((e as MessageEvent).lastEventId) };
      setEvents((prev) => (prev.some((p) => p.id === event.id) ? prev : [...prev, event]));
      if (isTerminalStatus(event.status)) source.close();
    });
    return () => source.close();
  }, [deploymentId]);
  return { events, last: events.at(-1) };
}
