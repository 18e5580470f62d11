import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SRC = join(ROOT, "src");

/** Every .ts file under `directory`, as absolute paths. */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * The src/ files that `file` names in its `import ... from` and `export ... from`
 * statements, type-only ones included; specifiers are relative, `.js` standing
 * for the `.ts` file. Imports of packages and of files outside src/ (JSON) lead
 * nowhere a cycle could close.
 */
function importsOf(file: string): { imported: string[]; unresolved: string[] } {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const imported: string[] = [];
  const unresolved: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue;
    const target = resolve(dirname(file), specifier.text.replace(/\.js$/, ".ts"));
    if (!target.startsWith(`${SRC}/`) || !target.endsWith(".ts")) continue;
    if (existsSync(target)) imported.push(target);
    else unresolved.push(`${relative(ROOT, file)}: ${specifier.text}`);
  }
  return { imported, unresolved };
}

/** The strongly connected components of `graph` (Tarjan), each in discovery order. */
function components(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    found.push(component.reverse());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest import path from `start` back to itself, or undefined when there is none. */
function shortestCycle(graph: ReadonlyMap<string, readonly string[]>, start: string): string[] | undefined {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const node = queue[at] ?? start;
    for (const next of graph.get(node) ?? []) {
      if (next === start) {
        const path = [node];
        for (let back = cameFrom.get(node); back !== undefined; back = cameFrom.get(back)) path.unshift(back);
        return [...path, start];
      }
      if (next !== start && !cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * Every import cycle among `files`, as `a.ts -> b.ts -> a.ts`: for each file
 * on a cycle, the shortest one through it (each written once, starting from
 * its first file in path order), so every file of every cycle is named.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles = new Set<string>();
  for (const component of components(graph)) {
    for (const file of component) {
      const cycle = shortestCycle(graph, file)?.slice(0, -1);
      if (cycle === undefined) continue;
      const first = cycle.indexOf([...cycle].sort()[0] ?? file);
      const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
      cycles.add([...rotated, rotated[0] ?? file].map((path) => relative(ROOT, path)).join(" -> "));
    }
  }
  return [...cycles].sort();
}

describe("imports in src/", () => {
  const files = sourceFiles(SRC);
  const read = new Map(files.map((file) => [file, importsOf(file)]));
  const graph = new Map([...read].map(([file, { imported }]) => [file, imported]));

  it("resolves every relative import to a file in src/", () => {
    expect(files.length).toBeGreaterThan(20);
    expect([...read.values()].flatMap(({ unresolved }) => unresolved)).toEqual([]);
  });

  it("form no cycle, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("finds a cycle of two files, of three files and a file importing itself", () => {
    const file = (name: string): string => join(SRC, name);
    const made = new Map([
      [file("a.ts"), [file("b.ts")]],
      [file("b.ts"), [file("a.ts"), file("c.ts")]],
      [file("c.ts"), [file("d.ts")]],
      [file("d.ts"), [file("e.ts")]],
      [file("e.ts"), [file("c.ts")]],
      [file("f.ts"), [file("f.ts"), file("a.ts")]],
    ]);
    expect(importCycles(made)).toEqual([
      "src/a.ts -> src/b.ts -> src/a.ts",
      "src/c.ts -> src/d.ts -> src/e.ts -> src/c.ts",
      "src/f.ts -> src/f.ts",
    ]);
  });
});
