/**
 * Study files: YAML (1.2, core schema) or JSON, parsed with the `yaml`
 * library so that every validation problem can point at its line and column,
 * and so that duplicate keys are errors (JSON.parse would keep the last one
 * silently). Reading the file is the caller's; this module parses text.
 */
import { LineCounter, parseDocument, isNode, type YAMLError } from 'yaml';
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

/** A field's 1-based line and column in the study file, by its path (`parties[1].data`). */
export type Locate = (path: string) => { line: number; col: number } | undefined;

/**
 * Parses and validates a study file's text; `.json` files must be JSON,
 * anything else is read as YAML.
 * @throws {SpecError} for a syntax error or any invalid field, with line and column.
 */
export function parseStudyText(text: string, file: string, opts: ValidateOptions = {}): Study {
  return parseStudyFile(text, file, opts).study;
}

/**
 * As `parseStudyText`, and where each field is in the text, so that a later
 * problem with a field (a data file that does not exist) can point at it.
 */
export function parseStudyFile(
  text: string,
  file: string,
  opts: ValidateOptions = {},
): { study: Study; locate: Locate } {
  const lineCounter = new LineCounter();
  const json = /\.json$/i.test(file);
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    ...(json ? { schema: 'json' as const } : {}),
  });
  // Only the first syntax error: the ones after it usually follow from it.
  const first = doc.errors[0];
  if (first) throw new SpecError(file, [syntaxIssue(first, text, lineCounter, json)]);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // An alias (*name) with no anchor (&name) before it, or too many aliases.
    const alias = /^Unresolved alias.*: (\S+)$/.exec((e as Error).message)?.[1];
    const message = alias
      ? `'*${alias}' refers to no anchor '&${alias}' before it`
      : (e as Error).message;
    throw new SpecError(file, [{ path: json ? 'JSON syntax' : 'YAML syntax', message }]);
  }
  const locate: Locate = (path) => {
    // The deepest node on the path that exists: the field itself, or its parent when it is missing.
    const segs = pathSegments(path);
    for (let n = segs.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
    }
    return undefined;
  };
  try {
    return { study: validateStudy(raw, file, opts), locate };
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const located: FieldIssue[] = e.issues.map((i) => {
      const pos = locate(i.path);
      return pos ? { ...i, line: pos.line, col: pos.col } : i;
    });
    throw new SpecError(file, located);
  }
}

/**
 * A syntax error said plainly, at its line and column: what is wrong with the
 * text there and how it is usually fixed (the parser's own words name its
 * grammar: "Nested mappings are not allowed in compact mappings").
 */
function syntaxIssue(e: YAMLError, text: string, lc: LineCounter, json: boolean): FieldIssue {
  const { line, col } = lc.linePos(e.pos[0]);
  const lineText = text.split(/\r?\n/)[line - 1] ?? '';
  const own = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const path = json ? 'JSON syntax' : 'YAML syntax';
  const say = (message: string): FieldIssue => ({ path, message, line, col });
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return say('a tab indents this line; indent with spaces only');
    case 'BAD_INDENT':
      if (/^Flow sequence/.test(own))
        return say("a list opened with '[' before this line is not closed with ']'");
      if (/^Flow map/.test(own))
        return say("an object opened with '{' before this line is not closed with '}'");
      if (/sequence items/.test(own))
        return say(
          "this list item does not start in the same column as the items before it (line up the '-')",
        );
      return say(
        'this field does not start in the same column as the fields before it (indent the fields of one object alike)',
      );
    case 'BLOCK_AS_IMPLICIT_KEY': {
      // `title: Rate: per arm`: a value with ': ' in it reads as a second key.
      const m = /^(\s*(?:- )?[^:#'"]+):\s+([^"]*)$/.exec(lineText);
      const fix = m ? `, e.g. ${m[1]!.replace(/^\s*-?\s*/, '')}: "${m[2]!.trim()}"` : '';
      return say(`a second ': ' on this line: put a value that contains ': ' in quotes${fix}`);
    }
    case 'MULTILINE_IMPLICIT_KEY':
      return say(
        "this line is not 'name: value' (a space must follow the colon), or the value before it goes on over several lines (put it in quotes)",
      );
    case 'MISSING_CHAR':
      if (/quote/.test(own)) return say('a quoted value is not closed: add its closing quote');
      if (/without - indicator/.test(own))
        return say(
          "this line is inside a list but does not start with '- ' (or is indented too far)",
        );
      if (/Flow map/.test(own)) return say("an object opened with '{' is not closed with '}'");
      if (/Flow sequence/.test(own)) return say("a list opened with '[' is not closed with ']'");
      return say(own);
    case 'DUPLICATE_KEY': {
      const key = /^\s*(?:- )?["']?([^:"']+)["']?\s*:/.exec(lineText.slice(col - 1))?.[1];
      return say(
        `${key === undefined ? 'this field' : `'${key.trim()}'`} appears twice in the same object; keep one`,
      );
    }
    case 'BAD_SCALAR_START':
      return say(`a value cannot start with '${lineText[col - 1] ?? ''}' unless it is in quotes`);
    case 'BAD_DQ_ESCAPE':
      return say(
        'a backslash in double quotes starts an escape: write \\\\ for a backslash, or use single quotes',
      );
    case 'MULTIPLE_DOCS':
      return say("a study file holds one document: remove this '---' line and merge what follows");
    case 'TAG_RESOLVE_FAILED':
    case 'BLOCK_IN_FLOW':
    case 'UNEXPECTED_TOKEN':
      if (json) return say('not valid JSON here (a missing comma or quote, or a comment?)');
      return say(own);
    default:
      return say(own);
  }
}
