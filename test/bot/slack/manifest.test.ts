import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../src/config';

/**
 * The app manifest asks for exactly the scopes the code needs: every Web API method called
 * from bot/ and activities/channels/slack/ maps to its scopes (Slack's method docs), and
 * every scope in the manifest is needed by a method called or by a feature (slash command).
 */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write', 'chat:write.public'],
  'chat.update': ['chat:write'],
  'conversations.archive': ['channels:manage', 'groups:write'],
  'conversations.create': ['channels:manage', 'groups:write'],
  'conversations.history': ['channels:history', 'groups:history', 'im:history'],
  'conversations.invite': ['channels:manage', 'groups:write'],
  'conversations.list': ['channels:read', 'groups:read'],
  'conversations.open': ['im:write'],
  'conversations.setPurpose': ['channels:manage', 'groups:write'],
  'conversations.setTopic': ['channels:manage', 'groups:write'],
  'pins.add': ['pins:write'],
  'usergroups.users.list': ['usergroups:read'],
};
const FEATURE_SCOPES = ['commands'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const manifest = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'bot/slack/manifest.yaml'), 'utf8')) as {
  features: { slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string } };
};
const called = new Set(
  [...sourceFiles(path.join(PROJECT_ROOT, 'bot')), ...sourceFiles(path.join(PROJECT_ROOT, 'activities/channels/slack'))].flatMap((f) =>
    [...fs.readFileSync(f, 'utf8').matchAll(/client\.((?:[a-zA-Z]+\.)+[a-zA-Z]+)\(/g)].map((m) => m[1]!),
  ),
);

it('knows the scopes of every Web API method the code calls', () => {
  expect(called.size).toBeGreaterThan(10);
  expect([...called].filter((m) => !(m in METHOD_SCOPES))).toEqual([]);
});

it('asks for every scope those methods need, and nothing more', () => {
  const needed = new Set([...FEATURE_SCOPES, ...[...called].flatMap((m) => METHOD_SCOPES[m] ?? [])]);
  expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
});

it('declares the slash command the app listens to and interactivity on the same endpoint', () => {
  const listeners = fs.readFileSync(path.join(PROJECT_ROOT, 'bot/slack/listeners/index.ts'), 'utf8');
  const command = manifest.features.slash_commands[0]!;
  expect(listeners).toContain(`app.command('${command.command}'`);
  expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true, request_url: command.url });
  expect(command.url.endsWith('/slack/events')).toBe(true);
});
