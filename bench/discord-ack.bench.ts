// npm run bench -- discord-ack [--presses 50] (--quick: 5 presses)
// Acknowledge pressed on 50 open incidents at once: the Discord simulator dispatches 50
// INTERACTION_CREATE events over the gateway to the bot (discord.js), which defers each
// and answers it after the command core and the outage workflow have acted. Timed per
// interaction from dispatch: the initial response (what Discord's 3 s deadline holds the
// bot to), the visible answer (the deferred reply edited), and when the workflow has
// recorded the acknowledgement (applied). The answer waits for the core, which waits for the
// workflow to confirm the acknowledgement. Worker, bot and simulator share this process,
// as worker and bot do in `npm start`; the simulator's part is sending 50 WebSocket frames.
import { Client, Connection } from '@temporalio/client';
import { REST, Routes, type APIMessage } from 'discord.js';
import { loadIncidentView } from '../bot/core/load-incident-view';
import { customIds, renderAlert } from '../bot/discord/render/render-discord';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { models } from '../src/models';
import { loadRunbooks } from '../src/runbooks/load-runbooks';
import { discordEnv, startTestDiscordBot, startTestDiscordSimulator, TEST_GUILD } from '../test/support/discord-bot-rig';
import { until } from '../test/support/until';
import { acknowledgedTimes, importAckRoutes, inProcessWorker, openOutages } from './ack-support';
import { benchDatabase, numberOption, percentile, type Benchmark } from './support';

const TASK_QUEUE = 'bench-discord-ack';

export const run: Benchmark = async (ctx) => {
  const presses = numberOption(ctx, 'presses', { full: 50, quick: 5 });
  const db = await benchDatabase(ctx, {}, { temporal: true });
  const sim = await ctx.teardown.own('Discord simulator', () => startTestDiscordSimulator(), (s) => s.stop());
  const logger = createLogger('warn');
  const address = db.stack.endpoints.temporalAddress!;
  // The worker notifies the console only (team net has no chat channel): this times the console, not notifications.
  const config = loadConfig({ ...discordEnv(sim), TEMPORAL_TASK_QUEUE: TASK_QUEUE });
  await importAckRoutes(presses, logger);
  await ctx.teardown.own('worker', () => inProcessWorker(address, config, logger), (w) => w.stop());
  const connection = await ctx.teardown.own('Temporal client', () => Connection.connect({ address }), (c) => c.close());
  const client = new Client({ connection });
  await ctx.teardown.own('Discord bot', () => startTestDiscordBot(sim, client, TASK_QUEUE), (b) => b.stop());
  const incidents = await openOutages(client, presses, TASK_QUEUE);
  // Each incident's alert in #noc, as the notifier posts it: the button must be on a message.
  const rest = new REST({ api: sim.apiUrl }).setToken(sim.botToken);
  const runbooks = await loadRunbooks();
  const alerts = new Map<string, string>();
  for (const id of incidents) {
    const view = (await loadIncidentView({ models, runbooks }, id, { customers: false }))!;
    alerts.set(id, ((await rest.post(Routes.channelMessages(TEST_GUILD.nocChannelId), { body: renderAlert(view) })) as APIMessage).id);
  }

  const dispatchedAt = Date.now();
  const handles = incidents.map((id) => sim.interact({ customId: customIds.ack(id), message: alerts.get(id)!, member: 'bob' }));
  const callbacks = await Promise.allSettled(handles.map((h) => h.callback));
  const appliedAt = await acknowledgedTimes(incidents);
  const answeredAt = await Promise.all(
    handles.map((h) => until('the answer', () => (h.original()?.content ? Date.now() : undefined), 30_000, { everyMs: 5 }).then((at) => at - h.dispatchedAt)),
  );
  const initial = callbacks.flatMap((c) => (c.status === 'fulfilled' ? [c.value.afterMs] : []));
  const errors = callbacks.length - initial.length + handles.filter((h) => h.attempts.some((a) => a.status >= 400)).length;
  const acknowledgedInText = handles.filter((h) => /acknowledged/i.test(h.content() ?? '')).length;
  const applied = appliedAt.map((t) => t - dispatchedAt);
  console.log(`initial responses: ${initial.length} of ${handles.length} (late or refused: ${errors}); answers saying "acknowledged": ${acknowledgedInText}; acknowledgements applied: ${applied.length}`);
  console.log(`answered (reply edited): p50 ${Math.round(percentile(answeredAt, 50))} ms, p99 ${Math.round(percentile(answeredAt, 99))} ms; applied: p50 ${Math.round(percentile(applied, 50))} ms, p99 ${Math.round(percentile(applied, 99))} ms`);
  // The BENCH line is printed once the worker has stopped (bench/run-benchmark.ts): its console notifications come before it.
  return {
    fields: {
      p50_ms: Math.round(percentile(initial, 50)),
      p99_ms: Math.round(percentile(initial, 99)),
      answered_p99_ms: Math.round(percentile(answeredAt, 99)),
      applied_p99_ms: Math.round(percentile(applied, 99)),
      errors,
      n: initial.length,
    },
    problems: errors > 0 ? [`${errors} interactions answered late or refused`] : [],
  };
};
