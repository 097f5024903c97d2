/**
 * docs/API.md lists every export of every entry point, and nothing else: the
 * entry points are package.json's `exports`, and each one's exports (names and
 * kinds, types included) are read from its source file by the TypeScript
 * compiler. The installed package is checked against the same lists in
 * package.test.ts.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { documentedExports, type ExportKind } from './api-doc.js';

interface ExportTarget {
  readonly types: string;
  readonly default?: string;
  readonly node?: string;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, ExportTarget | string>;
};

/** Entry point name ('entente/stats') to its source file (src/analytics/stats/index.ts). */
function entrySources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const js = target.default ?? target.node;
    expect(js, `package.json exports['${subpath}']`).toMatch(/^\.\/dist\/.*\.js$/);
    expect(target.types, `package.json exports['${subpath}'].types`).toBe(
      js!.replace(/\.js$/, '.d.ts'),
    );
    const name = subpath === '.' ? 'entente' : `entente/${subpath.slice(2)}`;
    out.set(name, js!.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  }
  return out;
}

function kindOf(checker: ts.TypeChecker, s: ts.Symbol): ExportKind {
  const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  // `export type { X }` exports only X's type, whatever X is.
  const typeOnly = s.declarations?.some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
  if (typeOnly) return 'type';
  if (target.flags & ts.SymbolFlags.Class) return 'class';
  if (target.flags & ts.SymbolFlags.Function) return 'function';
  if (target.flags & ts.SymbolFlags.Variable) return 'constant';
  return 'type';
}

describe('docs/API.md', () => {
  it('lists every export of every entry point, with its kind, and nothing else', () => {
    const sources = entrySources();
    const documented = documentedExports();
    expect([...documented.keys()].sort()).toEqual([...sources.keys()].sort());

    const config = ts.getParsedCommandLineOfConfigFile(
      'tsconfig.json',
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const program = ts.createProgram([...sources.values()], config.options);
    const checker = program.getTypeChecker();
    for (const [entry, file] of sources) {
      const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
      const actual = checker
        .getExportsOfModule(module)
        .map((s) => `${s.name}: ${kindOf(checker, s)}`)
        .sort();
      const listed = documented
        .get(entry)!
        .map((e) => `${e.name}: ${e.kind}`)
        .sort();
      expect(listed, `docs/API.md's list for ${entry} (${file})`).toEqual(actual);
    }
  }, 120_000);
});
