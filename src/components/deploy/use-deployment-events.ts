'use client';
// Follows a deployment over Server-Sent Events; EventSource reconnects with Last-Event-ID by itself.
import { useEffect, useState } from 'react';
import { isTerminalStatus, type DeploymentStatusEvent } from '@/lib/deployment';

export function useDeploymentEvents(deploymentId: string | null) {
  // Kept with the deployment they belong to: another deployment starts from none.
  const [followed, setFollowed] = useState<{ deploymentId: string | null; events: DeploymentStatusEvent[] }>({ deploymentId: null, events: [] });
  const events = followed.deploymentId === deploymentId ? followed.events : [];
  useEffect(() => {
    if (!deploymentId) return;
    const source = new EventSource(`/api/deployments/${deploymentId}/events`);
    source.addEventListener('status', (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as Omit<DeploymentStatusEvent, 'id'>;
      const event = { ...data, id: Number((e as MessageEvent).lastEventId) };
      setFollowed((prev) => {
        const known = prev.deploymentId === deploymentId ? prev.events : [];
        return known.some((p) => p.id === event.id) ? prev : { deploymentId, events: [...known, event] };
      });
      if (isTerminalStatus(event.status)) source.close();
    });
    return () => source.close();
  }, [deploymentId]);
  return { events, last: events.at(-1) };
}
