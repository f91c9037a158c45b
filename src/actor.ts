/** Who did something: a person on a platform, or the system. Shared by every layer (API tokens, chat, workflows). */
export type Platform = 'slack' | 'discord' | 'api' | 'cli' | 'system';

export interface Actor {
  platform: Platform;
  id: string;
  name?: string;
}
