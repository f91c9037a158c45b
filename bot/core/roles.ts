/**
 * Who may do what. Roles come from configuration (platform user and group ids → role);
 * reading is for viewers, anything that changes an outage needs a responder, and
 * acknowledging counts as a change: it stops the paging.
 */
import type { Role } from '../../src/config';
import type { Command } from './parse-command';

const RANK: Record<Role, number> = { none: 0, viewer: 1, responder: 2, admin: 3 };

export const REQUIRED_ROLE: Record<Command['name'] | 'task' | 'checklist', Role> = {
  help: 'none',
  status: 'viewer',
  routes: 'viewer',
  incident: 'viewer',
  history: 'viewer',
  oncall: 'viewer',
  packet: 'viewer',
  ack: 'responder',
  failover: 'responder',
  failback: 'responder',
  resolve: 'responder',
  maint: 'responder',
  task: 'responder',
  /** Reading an incident's checklist (the Checklist button). */
  checklist: 'viewer',
};

export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The highest role a rule gives any of the subject ids (the user's id and their groups' ids); the default when none matches. */
export function roleOf(subjects: string[], rules: { subject: string; role: Role }[], defaultRole: Role): Role {
  const matched = rules.filter((r) => subjects.includes(r.subject)).map((r) => r.role);
  if (matched.length === 0) return defaultRole;
  return matched.reduce((best, r) => (RANK[r] > RANK[best] ? r : best));
}

/** Customer identifiers are shown to responders and above only. */
export function mayViewCustomers(role: Role): boolean {
  return hasRole(role, 'responder');
}
