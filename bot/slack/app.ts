import { App, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { SlackConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import { registerListeners } from './listeners';
import type { ListenerDeps } from './listeners/deps';

/** Builds the Bolt app (HTTP with request signing, or Socket Mode) and registers the listeners. */
export function createSlackApp(config: SlackConfig, deps: ListenerDeps): App {
  const common = {
    token: config.botToken,
    clientOptions: { slackApiUrl: config.apiUrl },
    logger: boltLogger(deps.logger.child({ component: 'slack' })),
  };
  const app = config.socketMode
    ? new App({ ...common, socketMode: true, appToken: config.appToken })
    : new App({ ...common, signingSecret: config.signingSecret!, processBeforeResponse: false });
  registerListeners(app, deps);
  return app;
}

/** Bolt's logger interface over pino. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}
