/**
 * Prose-like text for the agent workload: markdown notes, journal paragraphs and JSON
 * records written the way agents write them (headings, bullet lists, dates, file paths,
 * recurring names), from a Zipf-weighted English vocabulary. Deterministic for the
 * generator handed in. Tuned so that a whole note compresses about 4x with zstd level 3,
 * like real agent notes; it is not random bytes.
 */
import type { WorkloadRng } from './rng.js';

const FUNCTION_WORDS = (
  'the the the a a of of to to and and in in is is that for it on with as was at by this ' +
  'be are from or an not but have has had they we he she will would should can could when ' +
  'which there their them then than so if into about after before because while also only ' +
  'more most some any all each other such no new first last same one two three'
).split(' ');

const CONTENT_WORDS = (
  'user agent memory note task tool call result error file read write plan step summary ' +
  'context session token model reply update status check test run build project config ' +
  'value key list item search found meeting deadline request question answer issue fix ' +
  'change review draft report email message calendar schedule preference habit goal idea ' +
  'decision reason follow-up reminder document source link page section table database ' +
  'query index vector embedding concept topic detail example pattern problem solution ' +
  'approach option risk cost time week month day morning evening team manager customer ' +
  'service server deploy release branch commit merge version feature bug log metric alert ' +
  'latency budget estimate priority owner contact address phone account password access ' +
  'permission policy rule limit threshold retry timeout failure success attempt progress ' +
  'milestone sprint backlog ticket comment feedback survey interview research paper book ' +
  'article chapter quote reference citation dataset experiment hypothesis observation ' +
  'measurement analysis chart trend spike drop increase decrease baseline target ' +
  'remember prefers likes dislikes wants needs asked mentioned confirmed rejected approved ' +
  'suggested noticed learned decided planned finished started blocked waiting moved ' +
  'renamed deleted added fixed broke tried used said wrote read sent received shared ' +
  'important urgent minor major recent old stale current previous next likely unclear ' +
  'known unknown correct wrong useful relevant related similar different better worse ' +
  'quickly slowly again always never usually often rarely probably clearly exactly'
).split(' ');

const TOPICS = [
  'projects', 'people', 'preferences', 'tools', 'research', 'operations', 'finance',
  'health', 'travel', 'writing', 'learning', 'household', 'errors', 'decisions',
];

const SUBTOPICS = [
  'active', 'archive', 'ideas', 'meetings', 'followups', 'references', 'howto', 'incidents',
  'weekly', 'contacts', 'drafts', 'reviews',
];

/** The topic folder names of the workload (stable order). */
export const TOPIC_NAMES: readonly string[] = TOPICS;
/** The sub-topic folder names of the workload (stable order). */
export const SUBTOPIC_NAMES: readonly string[] = SUBTOPICS;

/** Names an agent keeps coming back to: people, projects, tools. Derived from the seed. */
export interface Lexicon {
  readonly people: readonly string[];
  readonly projects: readonly string[];
  readonly tools: readonly string[];
  /** Stock phrases of 3-7 words the agent reuses (agents repeat themselves). */
  readonly phrases: readonly string[];
}

const FIRST = 'Ana Ben Chen Dara Eli Farah Gus Hana Ivo Jun Kira Leo Mira Nils Omar Pia Quin Rosa Sam Tara Uma Vik Wen Yara Zoe'.split(' ');
const LAST = 'Adams Bauer Costa Diaz Evans Fischer Garcia Hoang Ito Jensen Kim Lopez Moreau Novak Okafor Patel Rossi Silva Tanaka Weber'.split(' ');
const PROJECT_A = 'atlas beacon cobalt delta ember falcon granite harbor iris juniper kestrel lumen meridian nova orbit'.split(' ');
const PROJECT_B = 'api app migration pipeline dashboard service rollout audit cleanup integration'.split(' ');
const TOOLS = 'git sqlite python node docker kubectl terraform jq curl grep make pytest vitest postgres redis nginx'.split(' ');

/** A lexicon of recurring names for one agent. */
export function createLexicon(rng: WorkloadRng): Lexicon {
  const people = Array.from({ length: 40 }, () => `${rng.pick(FIRST)} ${rng.pick(LAST)}`);
  const projects = Array.from({ length: 30 }, () => `${rng.pick(PROJECT_A)}-${rng.pick(PROJECT_B)}`);
  const base = { people: [...new Set(people)], projects: [...new Set(projects)], tools: TOOLS, phrases: [] };
  const phrases = Array.from({ length: 400 }, () => Array.from({ length: rng.range(3, 7) }, () => word(rng, base)).join(' '));
  return { ...base, phrases };
}

/** An ISO date (YYYY-MM-DD) `ms` since the epoch. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Share of sentence segments that are stock phrases rather than single words. */
const PHRASE_SHARE = 0.45;

/** One word: mostly Zipf-weighted content and function words, sometimes a name or number. */
function word(rng: WorkloadRng, lex: Lexicon): string {
  const r = rng.int(100);
  if (r < 42) return FUNCTION_WORDS[rng.zipf(FUNCTION_WORDS.length)]!;
  if (r < 92) return CONTENT_WORDS[rng.zipf(CONTENT_WORDS.length)]!;
  if (r < 95) return lex.people[rng.zipf(lex.people.length)]!;
  if (r < 98) return lex.projects[rng.zipf(lex.projects.length)]!;
  if (r < 99) return lex.tools[rng.zipf(lex.tools.length)]!;
  return String(rng.int(r === 99 && rng.chance(0.5) ? 100 : 10000));
}

/** One sentence of about 6-22 words (single words and stock phrases), capitalized, ending in a period. */
export function sentence(rng: WorkloadRng, lex: Lexicon): string {
  const n = rng.range(6, 22);
  const words: string[] = [];
  while (words.length < n) words.push(rng.chance(PHRASE_SHARE) ? lex.phrases[rng.zipf(lex.phrases.length)]! : word(rng, lex));
  if (n > 12 && rng.chance(0.4)) words[rng.range(4, n - 4)] += ',';
  const s = words.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** A paragraph of 2-7 sentences. */
export function paragraph(rng: WorkloadRng, lex: Lexicon): string {
  const n = rng.range(2, 7);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(sentence(rng, lex));
  return out.join(' ');
}

/** A bullet list of 3-9 short observations, some dated. */
function bullets(rng: WorkloadRng, lex: Lexicon, dayMs: number): string {
  const n = rng.range(3, 9);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const dated = rng.chance(0.3) ? `${isoDate(dayMs - rng.int(90) * 86_400_000)}: ` : '';
    const box = rng.chance(0.25) ? (rng.chance(0.5) ? '[x] ' : '[ ] ') : '';
    out.push(`- ${box}${dated}${sentence(rng, lex)}`);
  }
  return out.join('\n');
}

/** One markdown section: a heading and a mix of paragraphs and lists. */
export function section(rng: WorkloadRng, lex: Lexicon, dayMs: number): string {
  const heading = `## ${capitalize(CONTENT_WORDS[rng.zipf(CONTENT_WORDS.length)]!)} ${rng.pick(['notes', 'log', 'summary', 'details', 'open questions', 'decisions', 'next steps'])}`;
  const parts = [heading, ''];
  const blocks = rng.range(1, 4);
  for (let i = 0; i < blocks; i++) {
    const r = rng.int(10);
    if (r < 5) parts.push(paragraph(rng, lex));
    else if (r < 9) parts.push(bullets(rng, lex, dayMs));
    else parts.push(`See \`${rng.pick(TOPICS)}/${rng.pick(SUBTOPICS)}/${slug(rng, lex)}.md\` and ask ${rng.pick(lex.people)} about ${rng.pick(lex.projects)}.`);
    parts.push('');
  }
  return parts.join('\n');
}

/** A markdown note of about `bytes` bytes (never much less), with a front-matter block. */
export function markdownNote(rng: WorkloadRng, lex: Lexicon, title: string, bytes: number, dayMs: number): string {
  const tags = Array.from({ length: rng.range(1, 4) }, () => rng.pick(TOPICS)).join(', ');
  let text = `---\ntitle: ${title}\ncreated: ${isoDate(dayMs - rng.int(400) * 86_400_000)}\nupdated: ${isoDate(dayMs)}\ntags: [${tags}]\n---\n\n# ${title}\n\n`;
  while (text.length < bytes) text += `${section(rng, lex, dayMs)}\n`;
  return text;
}

/** A JSON document of about `bytes` bytes: a list of observation records, pretty-printed. */
export function jsonRecords(rng: WorkloadRng, lex: Lexicon, bytes: number, dayMs: number): string {
  const records: unknown[] = [];
  let size = 0;
  while (size < bytes) {
    const record = {
      id: `obs-${rng.u32().toString(16)}`,
      at: new Date(dayMs - rng.int(400 * 86_400) * 1000).toISOString(),
      topic: rng.pick(TOPICS),
      who: rng.pick(lex.people),
      project: rng.pick(lex.projects),
      confidence: Math.round(rng.float() * 100) / 100,
      text: sentence(rng, lex),
      tags: Array.from({ length: rng.range(0, 3) }, () => rng.pick(CONTENT_WORDS)),
    };
    records.push(record);
    size += JSON.stringify(record, null, 2).length + 4;
  }
  return `${JSON.stringify({ version: 1, kind: 'observations', records }, null, 2)}\n`;
}

/** A file-name slug of two or three words. */
export function slug(rng: WorkloadRng, lex: Lexicon): string {
  const a = CONTENT_WORDS[rng.zipf(CONTENT_WORDS.length)]!;
  const b = rng.chance(0.3) ? rng.pick(lex.projects) : CONTENT_WORDS[rng.int(CONTENT_WORDS.length)]!;
  return `${a}-${b}-${rng.int(1000)}`;
}

/** A concept name (lowercase phrase) from the vocabulary, Zipf-weighted. */
export function conceptName(rng: WorkloadRng, lex: Lexicon): string {
  const r = rng.int(3);
  if (r === 0) return `${CONTENT_WORDS[rng.zipf(CONTENT_WORDS.length)]!} ${CONTENT_WORDS[rng.zipf(CONTENT_WORDS.length)]!}`;
  if (r === 1) return rng.pick(lex.projects);
  return rng.pick(lex.people).toLowerCase();
}

function capitalize(s: string): string {
  return `${s[0]!.toUpperCase()}${s.slice(1)}`;
}
