import { model, Schema, type InferSchemaType } from 'mongoose';
import { SEVERITIES, SUBDOC } from './shared';

/** Where a team's (or a person's) alerts go, and from which severity up. */
const notificationPreferenceSchema = new Schema(
  {
    /** `team:<id>` or `user:<platform>:<id>` */
    _id: { type: String, required: true, match: /^(team:[^:]+|user:(slack|discord):[^:]+)$/ },
    subject: {
      type: new Schema({ kind: { type: String, enum: ['team', 'user'], required: true }, id: { type: String, required: true } }, SUBDOC),
      required: true,
    },
    channels: [
      new Schema(
        {
          platform: { type: String, enum: ['slack', 'discord', 'webhook', 'console'], required: true },
          target: { type: String, required: true },
          minSeverity: { type: String, enum: SEVERITIES, required: true },
        },
        SUBDOC,
      ),
    ],
  },
  { timestamps: true, collection: 'notificationpreferences' },
);

export type NotificationPreferenceDoc = InferSchemaType<typeof notificationPreferenceSchema>;
export const NotificationPreference = model('NotificationPreference', notificationPreferenceSchema);
