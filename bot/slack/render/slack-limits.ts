import { truncateMrkdwn, truncatePlain } from './mrkdwn';

/** A Block Kit block as JSON: templates decide the shape, fitSlackLimits its sizes. */
export interface SlackBlock {
  type: string;
  [key: string]: unknown;
}

export interface SlackMessage {
  /** Plain notification fallback (escaped: Slack parses it as mrkdwn). */
  text: string;
  blocks: SlackBlock[];
}

/** Block Kit limits (api.slack.com/reference/block-kit) that messages we render could reach. */
export const SLACK_LIMITS = {
  blocks: 50,
  messageText: 4000,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Brings blocks within Slack's limits: truncates texts (without cutting links or
 * entities), caps fields and elements, drops empty sections, and past 50 blocks keeps the
 * first ones, a "not shown" note and a trailing actions block.
 */
export function fitSlackLimits(blocks: readonly SlackBlock[]): SlackBlock[] {
  const fitted = blocks.map(fitBlock).filter((b): b is SlackBlock => b !== undefined);
  if (fitted.length <= SLACK_LIMITS.blocks) return fitted;
  const last = fitted[fitted.length - 1];
  const actions = last?.type === 'actions' ? [last] : [];
  const room = SLACK_LIMITS.blocks - 1 - actions.length;
  const body = fitted.slice(0, fitted.length - actions.length);
  const note: SlackBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: `_… ${body.length - room} more blocks not shown_` }] };
  return [...body.slice(0, room), note, ...actions];
}

function fitBlock(block: SlackBlock): SlackBlock | undefined {
  switch (block.type) {
    case 'header':
      return { ...block, text: fitText(block.text, SLACK_LIMITS.headerText) };
    case 'section': {
      const text = block.text === undefined ? undefined : fitText(block.text, SLACK_LIMITS.sectionText);
      const fields = Array.isArray(block.fields) ? block.fields.slice(0, SLACK_LIMITS.sectionFields).map((f) => fitText(f, SLACK_LIMITS.fieldText)).filter(hasText) : undefined;
      if (!(text !== undefined && hasText(text)) && !fields?.length) return undefined;
      const fitted: SlackBlock = { ...block, text, fields: fields?.length ? fields : undefined };
      if (isObject(block.accessory)) fitted.accessory = fitElement(block.accessory);
      return stripUndefined(fitted);
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements.slice(0, SLACK_LIMITS.contextElements).map((e) => fitText(e, SLACK_LIMITS.contextText)).filter(hasText) : [];
      return elements.length ? { ...block, elements } : undefined;
    }
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements.slice(0, SLACK_LIMITS.actionElements).map(fitElement) : [];
      return elements.length ? { ...block, elements } : undefined;
    }
    default:
      return block;
  }
}

function fitElement(element: unknown): unknown {
  if (!isObject(element) || element.type !== 'button') return element;
  const fitted: Json = { ...element, text: fitText(element.text, SLACK_LIMITS.buttonText) };
  if (typeof element.value === 'string') fitted.value = truncatePlain(element.value, SLACK_LIMITS.buttonValue);
  if (isObject(element.confirm)) {
    const c = element.confirm;
    fitted.confirm = {
      ...c,
      title: fitText(c.title, SLACK_LIMITS.confirmTitle),
      text: fitText(c.text, SLACK_LIMITS.confirmText),
      confirm: fitText(c.confirm, SLACK_LIMITS.confirmButton),
      deny: fitText(c.deny, SLACK_LIMITS.confirmButton),
    };
  }
  return fitted;
}

/** A text object with its text cut to max (mrkdwn-aware for mrkdwn); anything else unchanged. */
function fitText(value: unknown, max: number): unknown {
  if (!isObject(value) || typeof value.text !== 'string') return value;
  const text = value.type === 'mrkdwn' ? truncateMrkdwn(value.text, max) : truncatePlain(value.text, max);
  return { ...value, text };
}

function hasText(value: unknown): boolean {
  return !isObject(value) || typeof value.text !== 'string' || value.text.trim() !== '';
}

function stripUndefined(block: SlackBlock): SlackBlock {
  return Object.fromEntries(Object.entries(block).filter(([, v]) => v !== undefined)) as SlackBlock;
}
