import type { Interaction } from 'discord.js';
import type { Actor } from '../../activities/outage-contract';
import type { DiscordConfig, Role } from '../../src/config';
import { roleOf } from '../core/roles';

/**
 * Who a Discord user is to StateTrace: an Actor for the audit log and a role from
 * DISCORD_ROLES, matched on the user id and on the member's Discord role ids, which every
 * guild interaction carries (no lookup).
 */
export function identify(config: Pick<DiscordConfig, 'roles' | 'defaultRole'>, interaction: Interaction): { actor: Actor; role: Role } {
  const { user, member } = interaction;
  const memberRoles = !member ? [] : Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  const name = (member && 'displayName' in member ? member.displayName : undefined) ?? user.globalName ?? user.username;
  return { actor: { platform: 'discord', id: user.id, ...(name ? { name } : {}) }, role: roleOf([user.id, ...memberRoles], config.roles, config.defaultRole) };
}
