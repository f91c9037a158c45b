import { Schema } from 'mongoose';

export const PLATFORMS = ['slack', 'discord', 'api', 'cli', 'system'] as const;
export const SEVERITIES = ['critical', 'major', 'warning', 'info'] as const;
export const HEALTH_STATUSES = ['up', 'degraded', 'down', 'unknown'] as const;

/** Who did something, and from where: every human action carries one. */
export const actorSchema = new Schema(
  {
    platform: { type: String, enum: PLATFORMS, required: true },
    id: { type: String, required: true },
    name: String,
  },
  { _id: false, id: false },
);

/** Subdocument options: no generated _id, and no `id` virtual shadowing our own `id` fields. */
export const SUBDOC = { _id: false, id: false } as const;
