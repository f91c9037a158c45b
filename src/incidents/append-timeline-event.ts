import type { Models } from '../models';
import { insertOnce } from '../models/insert-once';

export interface TimelineEventInput {
  eventId: string;
  at: Date;
  kind: string;
  message: string;
  actor?: { platform: 'slack' | 'discord' | 'api' | 'cli' | 'system'; id: string; name?: string };
  data?: unknown;
}

/** Appends an event to an incident's timeline once per eventId; true when this call added it. */
export function appendTimelineEvent(models: Pick<Models, 'TimelineEvent'>, incidentId: string, event: TimelineEventInput): Promise<boolean> {
  return insertOnce(models.TimelineEvent, { _id: `${incidentId}:${event.eventId}`, incidentId, ...event });
}
