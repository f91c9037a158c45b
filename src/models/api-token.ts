import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema } from './shared';

export const API_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/**
 * An API token: `st_<id>_<secret>` is shown once at creation; only the SHA-256 of the secret
 * is stored (the secret is 32 random bytes, so a plain hash is enough). Looked up by `_id`.
 */
const apiTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    scope: { type: String, enum: API_SCOPES, required: true },
    /** Never returned by the API (listings project it away). */
    secretHash: { type: String, required: true },
    createdBy: { type: actorSchema, required: true },
    revokedAt: Date,
  },
  { timestamps: true, collection: 'apitokens', versionKey: false },
);

export type ApiTokenDoc = InferSchemaType<typeof apiTokenSchema>;
export const ApiToken = model('ApiToken', apiTokenSchema);
