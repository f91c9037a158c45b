import type { webApi } from '@slack/bolt';
import type { Actor } from '../../activities/outage-contract';
import type { Role, SlackConfig } from '../../src/config';
import { roleOf } from '../core/roles';

const GROUP_CACHE_MS = 60_000;

export interface SlackIdentity {
  actor: Actor;
  role: Role;
}

/**
 * Who a Slack user is to StateTrace: an Actor for the audit log and a role from SLACK_ROLES,
 * matched on the user id and on the user groups (S…) the rules name, whose members are
 * looked up with usergroups.users.list and kept for a minute.
 */
export function createSlackIdentities(config: Pick<SlackConfig, 'roles' | 'defaultRole'>) {
  const groups = config.roles.filter((r) => r.subject.startsWith('S')).map((r) => r.subject);
  // The lookup itself is cached, so a burst of presses makes one set of calls, not one each.
  let cached: { at: number; members: Promise<Map<string, Set<string>>> } | undefined;

  async function lookUpGroups(client: webApi.WebClient): Promise<Map<string, Set<string>>> {
    const members = new Map<string, Set<string>>();
    for (const group of groups) {
      const res = await client.usergroups.users.list({ usergroup: group });
      members.set(group, new Set(res.users ?? []));
    }
    return members;
  }

  function groupMembers(client: webApi.WebClient): Promise<Map<string, Set<string>>> {
    if (!cached || Date.now() - cached.at >= GROUP_CACHE_MS) {
      const members = lookUpGroups(client);
      cached = { at: Date.now(), members };
      members.catch(() => (cached = undefined)); // a failed lookup is not kept
    }
    return cached.members;
  }

  return {
    async identify(client: webApi.WebClient, user: { id: string; name?: string }): Promise<SlackIdentity> {
      const members = groups.length ? await groupMembers(client) : new Map<string, Set<string>>();
      const subjects = [user.id, ...groups.filter((g) => members.get(g)?.has(user.id))];
      return { actor: { platform: 'slack', id: user.id, ...(user.name ? { name: user.name } : {}) }, role: roleOf(subjects, config.roles, config.defaultRole) };
    },
  };
}

export type SlackIdentities = ReturnType<typeof createSlackIdentities>;
