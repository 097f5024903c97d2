/**
 * The export lists of docs/API.md ("Entry points"): one table per entry point,
 * under a heading `### \`entente...\``, a row per export: `| \`name\` | kind | what |`.
 * Shared by the test that compares them with the code (api-docs.test.ts) and the
 * one that compares them with the installed package (package.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ExportKind = 'function' | 'class' | 'constant' | 'type';

export interface DocumentedExport {
  readonly name: string;
  readonly kind: ExportKind;
  /** Line in docs/API.md, for messages. */
  readonly line: number;
}

export const API_DOC = fileURLToPath(new URL('../docs/API.md', import.meta.url));
const KINDS: readonly string[] = ['function', 'class', 'constant', 'type'];

/** Entry point (e.g. 'entente/analytics') to its documented exports, in the document's order. */
export function documentedExports(
  text = readFileSync(API_DOC, 'utf8'),
): Map<string, DocumentedExport[]> {
  const out = new Map<string, DocumentedExport[]>();
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Entry points');
  if (start < 0) throw new Error(`${API_DOC}: no '## Entry points' section`);
  let current: DocumentedExport[] | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^## /.test(l)) break;
    const heading = /^### `(entente(?:\/[a-z-]+)?)`\s*$/.exec(l);
    if (heading) {
      if (out.has(heading[1]!)) throw new Error(`${API_DOC}:${i + 1}: ${heading[1]} twice`);
      current = [];
      out.set(heading[1]!, current);
      continue;
    }
    const row = /^\| `([A-Za-z_$][\w$]*)` \| ([a-z]+) \|/.exec(l);
    if (!row || !current) continue;
    if (!KINDS.includes(row[2]!))
      throw new Error(`${API_DOC}:${i + 1}: kind '${row[2]}' (expected ${KINDS.join(', ')})`);
    current.push({ name: row[1]!, kind: row[2] as ExportKind, line: i + 1 });
  }
  return out;
}
