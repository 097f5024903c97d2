/**
 * Study files: YAML (1.2, core schema) or JSON, parsed with the `yaml`
 * library so that every validation problem can point at its line and column,
 * and so that duplicate keys are errors (JSON.parse would keep the last one
 * silently). Reading the file is the caller's; this module parses text.
 */
import { LineCounter, parseDocument, isNode } from 'yaml';
import { SpecError, type FieldIssue } from '../data/errors.js';
import { validateStudy, type Study, type ValidateOptions } from './spec.js';

/** `analyses[2].column` as ['analyses', 2, 'column']. */
export function pathSegments(path: string): (string | number)[] {
  if (path === '(top level)' || path === '') return [];
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/**
 * Parses and validates a study file's text; `.json` files must be JSON,
 * anything else is read as YAML.
 * @throws {SpecError} for a syntax error or any invalid field, with line and column.
 */
export function parseStudyText(text: string, file: string, opts: ValidateOptions = {}): Study {
  const lineCounter = new LineCounter();
  const json = /\.json$/i.test(file);
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    ...(json ? { schema: 'json' as const } : {}),
  });
  if (doc.errors.length > 0) {
    throw new SpecError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: '(syntax)',
          message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
          line: pos.line,
          col: pos.col,
        };
      }),
    );
  }
  try {
    return validateStudy(doc.toJS({ maxAliasCount: 100 }), file, opts);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const located: FieldIssue[] = e.issues.map((i) => {
      // The deepest node on the path that exists: the field itself, or its parent when it is missing.
      const segs = pathSegments(i.path);
      for (let n = segs.length; n >= 0; n--) {
        const node: unknown = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
        if (isNode(node) && node.range) {
          const pos = lineCounter.linePos(node.range[0]);
          return { ...i, line: pos.line, col: pos.col };
        }
      }
      return i;
    });
    throw new SpecError(file, located);
  }
}
