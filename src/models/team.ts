import { model, Schema, type InferSchemaType } from 'mongoose';
import { SUBDOC } from './shared';

/** An owner team: who to call and who to invite into an incident channel. */
const teamSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    contact: { type: String, required: true },
    oncall: {
      type: new Schema({ slack: { type: [String], default: [] }, discord: { type: [String], default: [] } }, SUBDOC),
      default: () => ({ slack: [], discord: [] }),
    },
  },
  { timestamps: true, collection: 'teams' },
);

export type TeamDoc = InferSchemaType<typeof teamSchema>;
export const Team = model('Team', teamSchema);
