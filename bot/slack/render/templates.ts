import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from '../../../src/config';
import { capList, formatDuration, plural } from '../../core/incident-presentation';
import { escapeMrkdwn, slackDate, truncatePlain, type DateStyle } from './mrkdwn';
import type { SlackBlock } from './slack-limits';

/**
 * Handlebars for Block Kit JSON (templates/slack/README.md lists the helpers). Every value a
 * template prints goes through a helper that JSON-encodes it or mrkdwn-escapes it; a bare
 * `{{value}}` is refused when the template is compiled.
 */

export const SLACK_TEMPLATE_DIR = path.join(PROJECT_ROOT, 'templates', 'slack');

// Own instance: helpers registered on the global one elsewhere cannot change what renders here.
const hb = Handlebars.create();
const safe = (text: string) => new hb.SafeString(text);
/** Strings, numbers and booleans as text; anything else (undefined, objects) prints nothing. */
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';

/** Registers a value helper taking min..max arguments (Handlebars appends its options object). */
function valueHelper(name: string, min: number, max: number, fn: (...args: unknown[]) => string): void {
  hb.registerHelper(name, (...args: unknown[]) => {
    const params = args.slice(0, -1);
    if (params.length < min || params.length > max) throw new Error(`{{${name}}} takes ${min === max ? min : `${min} to ${max}`} value(s), got ${params.length}`);
    return safe(fn(...params));
  });
}

const VALUE_HELPERS = new Set(['json', 'esc', 'str', 'ago', 'time', 'datetime', 'duration', 'list', 'link', 'plural', 'eq']);

/** JSON of a value (objects, ids, numbers): `{{{json view.incidentId}}}`. */
valueHelper('json', 1, 1, (value) => JSON.stringify(value ?? null));
/** User-provided text inside {{#mrkdwn}}, `&`, `<`, `>` escaped (no mentions or links sneak in); `{{esc text max}}` shortens it first. */
valueHelper('esc', 1, 2, (value, max) => escapeMrkdwn(typeof max === 'number' ? truncatePlain(str(value), max) : str(value)));
/** Text as it is, for {{#plaintext}} (Slack does not parse plain_text); system values only. */
valueHelper('str', 1, 1, (value) => str(value));
for (const style of ['ago', 'time', 'datetime'] as DateStyle[]) {
  valueHelper(style, 1, 1, (iso) => (iso ? slackDate(str(iso), style) : 'unknown'));
}
valueHelper('duration', 1, 1, (seconds) => (typeof seconds === 'number' ? formatDuration(seconds) : 'n/a'));
/** Escaped `a, b and N more` (each item at most LIST_ITEM_MAX characters): `{{list items max [total]}}`. */
const LIST_ITEM_MAX = 120;
valueHelper('list', 2, 3, (items, max, total) =>
  capList((Array.isArray(items) ? items : []).map((i) => escapeMrkdwn(truncatePlain(str(i), LIST_ITEM_MAX))), Number(max), typeof total === 'number' ? total : undefined),
);
/** `<url|title>` for an http(s) url, else the escaped title. */
valueHelper('link', 2, 2, (url, title) => {
  const text = escapeMrkdwn(truncatePlain(str(title), LIST_ITEM_MAX));
  return typeof url === 'string' && /^https?:\/\//.test(url) ? `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${text}>` : text;
});
valueHelper('plural', 2, 3, (count, singular, pluralForm) => plural(Number(count), str(singular), typeof pluralForm === 'string' ? pluralForm : undefined));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);

/** A mrkdwn JSON string from the block: each non-empty template line (trimmed) is one line. */
hb.registerHelper('mrkdwn', function (this: unknown, options: Handlebars.HelperOptions) {
  const lines = options.fn(this).split('\n').map((l) => l.trim()).filter(Boolean);
  return safe(JSON.stringify(lines.join('\n')));
});
/** A plain-text JSON string from the block, whitespace collapsed to single spaces. */
hb.registerHelper('plaintext', function (this: unknown, options: Handlebars.HelperOptions) {
  return safe(JSON.stringify(options.fn(this).replace(/\s+/g, ' ').trim()));
});

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders templates/slack/<name>.json.hbs to blocks; errors name the template. */
export function renderBlocks(name: string, context: object, dir: string = SLACK_TEMPLATE_DIR): SlackBlock[] {
  const file = path.join(dir, `${name}.json.hbs`);
  let template = cache.get(file);
  if (!template) {
    template = compileTemplate(file);
    cache.set(file, template);
  }
  let text: string;
  try {
    text = template(context);
  } catch (err) {
    throw new Error(`Slack template ${file}: ${(err as Error).message}`);
  }
  let blocks: unknown;
  try {
    blocks = JSON.parse(stripTrailingCommas(text));
  } catch (err) {
    throw new Error(`Slack template ${file} did not produce valid JSON: ${(err as Error).message}`);
  }
  const isBlock = (b: unknown) => typeof b === 'object' && b !== null && typeof (b as { type?: unknown }).type === 'string';
  if (!Array.isArray(blocks) || !blocks.every(isBlock)) throw new Error(`Slack template ${file} must produce a JSON array of blocks, each with a "type"`);
  return blocks as SlackBlock[];
}

function compileTemplate(file: string): HandlebarsTemplateDelegate {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Slack template ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (err) {
    throw new Error(`Slack template ${file}: ${(err as Error).message}`);
  }
  checkOutputs(ast, file);
  return hb.compile(ast, { noEscape: false });
}

/** Every `{{…}}` that prints must call a value helper: a bare value would break JSON or inject mrkdwn. */
function checkOutputs(program: hbs.AST.Program | undefined, file: string): void {
  for (const node of program?.body ?? []) {
    if (node.type === 'MustacheStatement') {
      const m = node as hbs.AST.MustacheStatement;
      const name = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
      if (!VALUE_HELPERS.has(name)) {
        throw new Error(`Slack template ${file}:${m.loc.start.line}: "{{${name || '…'}}}" prints a value without a helper; use {{esc …}} inside {{#mrkdwn}}, {{str …}} inside {{#plaintext}}, or {{{json …}}}`);
      }
    } else if (node.type === 'BlockStatement') {
      const block = node as hbs.AST.BlockStatement;
      checkOutputs(block.program, file);
      checkOutputs(block.inverse, file);
    }
  }
}

/**
 * Drops commas before `]` or `}` outside strings, so a template can end every item of a
 * list with a comma however many of them its `{{#if}}`s keep.
 */
export function stripTrailingCommas(json: string): string {
  return json.replace(/"(?:[^"\\]|\\.)*"|,(\s*[\]}])/g, (match, tail: string | undefined) => tail ?? match);
}
