import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import type { DiscordConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { Models } from '../../src/models';
import type { Runbook } from '../../src/runbooks/load-runbooks';
import { loadChecklist, remediationTaskId } from '../core/checklist';
import { ALERT_BUTTON_COMMANDS, changesOutage, type CommandCore, type CommandReply } from '../core/command-core';
import { parseCommand } from '../core/parse-command';
import { identify } from './identity';
import { parseCustomId, renderChecklist, replyContent } from './render/render-discord';
import { COMMAND_NAME, commandText } from './slash-command';

export interface InteractionDeps {
  config: Pick<DiscordConfig, 'guildId' | 'roles' | 'defaultRole'>;
  core: CommandCore;
  /** For the channel → incident lookup and redrawing a checklist after an item is done. */
  models: Pick<Models, 'DiscordIncidentChannel' | 'RemediationTask'>;
  runbooks: { get(id: string): Runbook | undefined };
  runbookBaseUrl?: string;
  logger: Logger;
}

const NO_MENTIONS = { parse: [] as [] };
const ephemeral = (content: string) => ({ content: replyContent(content), flags: MessageFlags.Ephemeral as const, allowedMentions: NO_MENTIONS });

/**
 * Slash commands and buttons → the command core; replies back. Every interaction is answered
 * (deferred) before anything slow runs, so Discord's 3 s deadline holds whatever the core,
 * MongoDB or Temporal take: a change is deferred in public (the channel sees who did what),
 * a query privately. Nothing here decides who may do what.
 */
export function createInteractionHandler(deps: InteractionDeps) {
  const logger = deps.logger.child({ component: 'discord' });
  const incidentOfChannel = async (channelId: string | null) =>
    channelId ? ((await deps.models.DiscordIncidentChannel.findOne({ channelId }, { _id: 1 }).lean())?._id ?? undefined) : undefined;

  /** The core's reply into a deferred interaction: in place, or privately when it must not show (a refusal after a public defer). */
  async function answer(interaction: ChatInputCommandInteraction | ButtonInteraction, reply: CommandReply, deferredPublic: boolean): Promise<void> {
    if (reply.ephemeral && deferredPublic) {
      await interaction.deleteReply();
      await interaction.followUp(ephemeral(reply.text));
      return;
    }
    await interaction.editReply({ content: replyContent(reply.text), allowedMentions: NO_MENTIONS });
  }

  async function slashCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const sub = interaction.options.data[0];
    const parsed = parseCommand(sub ? commandText(sub.name, sub.options ?? []) : '');
    if (!parsed.ok) return void (await interaction.reply(ephemeral(parsed.reply)));
    const inPublic = changesOutage(parsed.command.name);
    await interaction.deferReply(inPublic ? {} : { flags: MessageFlags.Ephemeral });
    const reply = await deps.core.run({ command: parsed.command, ...identify(deps.config, interaction), requestId: interaction.id, incidentId: await incidentOfChannel(interaction.channelId) });
    await answer(interaction, reply, inPublic);
  }

  async function button(interaction: ButtonInteraction): Promise<void> {
    const action = parseCustomId(interaction.customId);
    if (!action) return void (await interaction.reply(ephemeral('this button is not StateTrace’s (or no longer works)')));
    if (action.kind === 'checklist') {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const channel = await deps.models.DiscordIncidentChannel.findById(action.incidentId, { channelId: 1 }).lean();
      const reply = await deps.core.showChecklist({ incidentId: action.incidentId, ...identify(deps.config, interaction), requestId: interaction.id, ...(channel?.channelId ? { where: `<#${channel.channelId}>` } : {}) });
      await interaction.editReply({ content: replyContent(reply.text), allowedMentions: NO_MENTIONS });
      return;
    }
    if (action.kind === 'done') {
      // The checklist message is redrawn in place; what the core says goes to the presser alone.
      await interaction.deferUpdate();
      const incidentId = await incidentOfChannel(interaction.channelId);
      const runbook = deps.runbooks.get(action.runbookId);
      if (!incidentId || !runbook) return void (await interaction.followUp(ephemeral('this checklist is not in an incident channel StateTrace knows')));
      const reply = await deps.core.completeTask({ taskId: remediationTaskId(incidentId, runbook.id, action.itemId), ...identify(deps.config, interaction), requestId: interaction.id });
      if (reply.ok) {
        const { embeds, components } = renderChecklist(await loadChecklist({ models: deps.models, runbookBaseUrl: deps.runbookBaseUrl }, incidentId, runbook));
        await interaction.editReply({ embeds, components });
      }
      if (!reply.ok || reply.ephemeral) await interaction.followUp(ephemeral(reply.text));
      return;
    }
    await interaction.deferReply();
    const reply = await deps.core.run({ command: ALERT_BUTTON_COMMANDS[action.kind](action.incidentId), ...identify(deps.config, interaction), requestId: interaction.id, incidentId: action.incidentId });
    await answer(interaction, reply, true);
  }

  return async (interaction: Interaction): Promise<void> => {
    if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
    try {
      if (interaction.guildId !== deps.config.guildId) return void (await interaction.reply(ephemeral('StateTrace is not set up for this server')));
      if (interaction.isChatInputCommand()) {
        if (interaction.commandName === COMMAND_NAME) await slashCommand(interaction);
        return;
      }
      await button(interaction);
    } catch (err) {
      logger.error({ err, interaction: interaction.id }, 'Discord interaction failed');
      const text = `StateTrace could not do that: ${(err as Error).message}`;
      const tell = interaction.deferred || interaction.replied ? interaction.followUp(ephemeral(text)) : interaction.reply(ephemeral(text));
      await tell.catch((e: unknown) => logger.warn({ err: e }, 'could not tell the user either'));
    }
  };
}
