import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WebClient } from '@slack/web-api';
import { appendTimelineEvent } from '../src/incidents/append-timeline-event';
import type { Logger } from '../src/logger';
import type { Models } from '../src/models';
import { generatePacket, UnknownIncidentError } from '../src/packets/generate-packet';
import type { PdfRenderer } from '../src/packets/pdf-renderer';
import type { RunbookLibrary } from '../src/runbooks/load-runbooks';
import { slackFailure } from './channels/slack/slack-errors';
import { uploadOnce } from './channels/slack/upload-once';

export interface PacketActivityDeps {
  models: Models;
  runbooks: RunbookLibrary;
  runbookBaseUrl?: string;
  /** STATETRACE_SERIES_FLUSH_SEC of the sweepers, in ms (packet charts). */
  seriesFlushMs?: number;
  renderer: Pick<PdfRenderer, 'render'>;
  /** Packets printed on demand per incident and hour (STATETRACE_PACKETS_PER_HOUR); default 6. */
  packetsPerHour?: number;
  /** Set when Slack is configured: the packet is uploaded to the incident channel. */
  slack?: { client: WebClient };
  logger: Logger;
}

export interface GeneratePacketInput {
  incidentId: string;
  /** The upload happens once per key (`<incident>:packet:resolved`, `<incident>:packet:<request>`). */
  idempotencyKey: string;
  /** A person asked (`packet`): the stored packet is reused when nothing changed, and printing is limited per incident and hour. */
  onDemand?: boolean;
}

export interface GeneratePacketResult {
  incidentId: string;
  pdfKb: number;
  pages?: number;
  /** Where it was shared, when it was (the Slack incident channel). */
  uploadedTo?: string;
  /** When the PDF was printed (ISO). */
  generatedAt?: string;
  /** On demand: the stored packet was `unchanged`, or printing was `limited` until `limitedUntil` (ISO). */
  reused?: 'unchanged' | 'limited';
  limitedUntil?: string;
  /** The limit that applied (on demand). */
  perHour?: number;
}

export const DEFAULT_PACKETS_PER_HOUR = 6;

const HEARTBEAT_MS = 5000;

/** The incident packet as an activity: render (PDF + Markdown), store with the incident, share in its channel. */
export function createPacketActivities(deps: PacketActivityDeps) {
  return {
    async generateIncidentPacket(input: GeneratePacketInput): Promise<GeneratePacketResult> {
      const beat = setInterval(() => Context.current().heartbeat(), HEARTBEAT_MS);
      try {
        const onDemand = input.onDemand ? { perHour: deps.packetsPerHour ?? DEFAULT_PACKETS_PER_HOUR } : undefined;
        const packet = await generatePacket(deps, input.incidentId, onDemand).catch((err: unknown) => {
          if (err instanceof UnknownIncidentError) throw ApplicationFailure.nonRetryable(err.message, 'UnknownIncident');
          throw err;
        });
        const result: GeneratePacketResult = {
          incidentId: input.incidentId,
          pdfKb: Math.round(packet.pdfBytes / 1024),
          ...(packet.pages ? { pages: packet.pages } : {}),
          generatedAt: packet.generatedAt.toISOString(),
          ...(packet.reused ? { reused: packet.reused } : {}),
          ...(packet.limitedUntil ? { limitedUntil: packet.limitedUntil.toISOString(), perHour: onDemand?.perHour } : {}),
        };
        // A stored packet already shared is not shared again.
        if (packet.reused && packet.sharedIn) return { ...result, uploadedTo: packet.sharedIn };
        const channel = deps.slack ? (await deps.models.SlackIncidentChannel.findById(input.incidentId, { channelId: 1 }).lean())?.channelId : undefined;
        // On the timeline from here rather than by the workflow: one activity less in every outage's history.
        const noted = (uploadedTo?: string) =>
          appendTimelineEvent(deps.models, input.incidentId, {
            eventId: `packet:${input.idempotencyKey}`,
            at: new Date(),
            kind: 'packet',
            message: `incident packet ready (${packet.pages ?? '?'} pages, ${result.pdfKb} KB)${uploadedTo ? ', shared in the incident channel' : ''}`,
          });
        if (!deps.slack || !channel) {
          if (!packet.reused) await noted();
          return result;
        }
        // Not lean: mongoose turns the stored bytes back into a Buffer.
        const stored = await deps.models.IncidentPacket.findById(input.incidentId, { pdf: 1 });
        try {
          await uploadOnce(
            { client: deps.slack.client, models: deps.models },
            {
              key: `${input.idempotencyKey}:slack`,
              incidentId: input.incidentId,
              channel,
              filename: `${input.incidentId}.pdf`,
              title: `Incident packet ${input.incidentId}`,
              comment: `Incident packet for ${input.incidentId}${packet.pages ? ` (${packet.pages} pages)` : ''}`,
              bytes: stored!.pdf,
            },
          );
        } catch (err) {
          const outcome = slackFailure(err);
          throw ApplicationFailure.create({
            message: `packet stored, not shared in Slack: ${outcome.error ?? (err as Error).message}`,
            type: 'PacketNotShared',
            nonRetryable: !outcome.retryable,
            ...(outcome.retryAfterMs ? { nextRetryDelay: outcome.retryAfterMs } : {}),
          });
        }
        await deps.models.IncidentPacket.updateOne({ _id: input.incidentId, contentHash: packet.contentHash }, { $set: { sharedIn: channel } });
        if (!packet.reused) await noted(channel);
        return { ...result, uploadedTo: channel };
      } finally {
        clearInterval(beat);
      }
    },
  };
}
