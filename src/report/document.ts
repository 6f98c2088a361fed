// Reports: a list of blocks (headings, paragraphs, lists, tables, SVG figures) rendered as Markdown
// (figures as sibling .svg files) and as one self-contained HTML page (figures inlined).
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { escapeXml } from './escape.js';

export type CellValue = string | number | null | undefined;

export type Block =
  | { kind: 'heading'; text: string; level: 1 | 2 | 3 }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; columns: string[]; rows: CellValue[][]; caption?: string; align?: ('left' | 'right')[] }
  | { kind: 'figure'; name: string; svg: string; caption?: string };

export interface ReportDoc {
  title: string;
  blocks: Block[];
}

export const heading = (text: string, level: 1 | 2 | 3 = 2): Block => ({ kind: 'heading', text, level });
export const paragraph = (text: string): Block => ({ kind: 'paragraph', text });
export const list = (items: string[]): Block => ({ kind: 'list', items });
/** Numbers are right-aligned unless `align` says otherwise; null/undefined cells print as "–". */
export const table = (columns: string[], rows: CellValue[][], opts: { caption?: string; align?: ('left' | 'right')[] } = {}): Block => ({ kind: 'table', columns, rows, ...opts });
/** `name` becomes the file stem of the figure (letters, digits, '-', '_'). */
export const figure = (name: string, svg: string, caption?: string): Block => ({ kind: 'figure', name, svg, caption });

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const cellText = (v: CellValue): string => (v === null || v === undefined ? '–' : typeof v === 'number' ? String(v) : v);

function columnAlign(b: Extract<Block, { kind: 'table' }>, i: number): 'left' | 'right' {
  if (b.align?.[i]) return b.align[i]!;
  const vals = b.rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
  return vals.length > 0 && vals.every((v) => typeof v === 'number') ? 'right' : 'left';
}

/**
 * Backslash-escapes Markdown punctuation so text is shown literally (CommonMark allows \ before any
 * ASCII punctuation). Parentheses are left alone: they only matter after ']', which is escaped.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]<>#+!|&~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function figureFile(docName: string, figName: string): string {
  return `${docName}-${figName}.svg`;
}

function checkNames(name: string, doc: ReportDoc): void {
  if (!NAME_RE.test(name)) throw new TypeError(`report name '${name}' must match ${NAME_RE.source}`);
  const seen = new Set<string>();
  for (const b of doc.blocks) {
    if (b.kind !== 'figure') continue;
    if (!NAME_RE.test(b.name)) throw new TypeError(`figure name '${b.name}' must match ${NAME_RE.source}`);
    if (seen.has(b.name)) throw new TypeError(`figure name '${b.name}' is used twice in report '${name}'`);
    seen.add(b.name);
  }
}

/** Markdown text; each figure is referenced as `<name>-<figure name>.svg` beside the .md file. */
export function renderMarkdown(name: string, doc: ReportDoc): string {
  checkNames(name, doc);
  const out: string[] = [`# ${escapeMarkdown(doc.title)}`, ''];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level + 1)} ${escapeMarkdown(b.text)}`, '');
        break;
      case 'paragraph':
        out.push(escapeMarkdown(b.text), '');
        break;
      case 'list':
        out.push(...b.items.map((it) => `- ${escapeMarkdown(it)}`), '');
        break;
      case 'table': {
        if (b.caption) out.push(`*${escapeMarkdown(b.caption)}*`, '');
        out.push(`| ${b.columns.map(escapeMarkdown).join(' | ')} |`);
        out.push(`|${b.columns.map((_, i) => (columnAlign(b, i) === 'right' ? ' ---: ' : ' :--- ')).join('|')}|`);
        for (const r of b.rows) out.push(`| ${b.columns.map((_, i) => escapeMarkdown(cellText(r[i]))).join(' | ')} |`);
        out.push('');
        break;
      }
      case 'figure':
        out.push(`![${escapeMarkdown(b.caption ?? b.name)}](${figureFile(name, b.name)})`, '');
        if (b.caption) out.push(`*${escapeMarkdown(b.caption)}*`, '');
        break;
    }
  }
  return out.join('\n');
}

const CSS = `body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{font-size:1.7rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}h2{font-size:1.35rem;margin-top:2rem}h3{font-size:1.1rem}
table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #d6d6d6;padding:.3rem .6rem}
th{background:#f4f4f4;text-align:left}td.num{text-align:right}caption{caption-side:top;text-align:left;font-style:italic;padding-bottom:.3rem}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto}figcaption{font-style:italic;color:#444;margin-top:.3rem}`;

/** One self-contained HTML page: CSS in a <style> element, every SVG figure inlined. */
export function renderHtml(doc: ReportDoc): string {
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeXml(doc.title)}</h1>`,
  ];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`<h${b.level + 1}>${escapeXml(b.text)}</h${b.level + 1}>`);
        break;
      case 'paragraph':
        out.push(`<p>${escapeXml(b.text)}</p>`);
        break;
      case 'list':
        out.push(`<ul>${b.items.map((it) => `<li>${escapeXml(it)}</li>`).join('')}</ul>`);
        break;
      case 'table': {
        const right = b.columns.map((_, i) => columnAlign(b, i) === 'right');
        out.push('<table>');
        if (b.caption) out.push(`<caption>${escapeXml(b.caption)}</caption>`);
        out.push(`<thead><tr>${b.columns.map((c, i) => `<th${right[i] ? ' class="num"' : ''}>${escapeXml(c)}</th>`).join('')}</tr></thead>`);
        out.push('<tbody>');
        for (const r of b.rows) out.push(`<tr>${b.columns.map((_, i) => `<td${right[i] ? ' class="num"' : ''}>${escapeXml(cellText(r[i]))}</td>`).join('')}</tr>`);
        out.push('</tbody></table>');
        break;
      }
      case 'figure':
        // An XML declaration is not allowed inside HTML; the SVG element itself is inlined as is.
        out.push(`<figure id="fig-${escapeXml(b.name)}">${b.svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').trim()}${b.caption ? `<figcaption>${escapeXml(b.caption)}</figcaption>` : ''}</figure>`);
        break;
    }
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

/**
 * Writes `<dir>/<name>.md`, `<dir>/<name>.html` and one `<dir>/<name>-<figure>.svg` per figure,
 * each atomically. Returns the paths written (figures first, then .md, then .html).
 */
export function writeReport(dir: string, name: string, doc: ReportDoc): string[] {
  const md = renderMarkdown(name, doc); // validates names before anything is written
  const html = renderHtml(doc);
  const written: string[] = [];
  for (const b of doc.blocks) {
    if (b.kind !== 'figure') continue;
    const path = join(dir, figureFile(name, b.name));
    writeFileAtomic(path, b.svg);
    written.push(path);
  }
  for (const [ext, text] of [['md', md], ['html', html]] as const) {
    const path = join(dir, `${name}.${ext}`);
    writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}
