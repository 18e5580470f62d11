import type { MetadataParseResult } from "./parse.js";

/** How many distinct metadata maps a runner keeps parsed. */
const CONFIG_CACHE_SIZE = 256;

/**
 * Wraps a metadata parser with a small cache keyed by the `http.*` entries
 * (other namespaces never change the config),
 * for a runner that sees the same settings on many invocations: parsing is
 * then done once per distinct settings, not once per run, and the runs share
 * one config object (PERFORMANCE.md, "Settings parsed once per
 * configuration"). Only successful parses are kept (a config is never
 * mutated); the oldest entry goes when the cache is full.
 */
export function cachedMetadataParser<T>(
  parse: (metadata: Readonly<Record<string, string>>) => MetadataParseResult<T>,
): (metadata: Readonly<Record<string, string>>) => MetadataParseResult<T> {
  const cache = new Map<string, MetadataParseResult<T>>();
  // The settings of the last call: a dispatcher mostly sends one kind of job, and comparing entries costs less
  // than building and hashing the key (PERFORMANCE.md, "Settings parsed once per configuration").
  let last: { readonly entries: readonly string[]; readonly parsed: MetadataParseResult<T> } | undefined;
  return (metadata) => {
    if (last !== undefined && sameEntries(metadata, last.entries)) return last.parsed;
    const entries = httpEntries(metadata);
    // Length-prefixed, so no value can make two different maps share a key.
    let key = "";
    for (let index = 0; index < entries.length; index += 2) {
      const name = entries[index]!;
      const value = entries[index + 1]!;
      key += `${name.length}:${name}${value.length}:${value}`;
    }
    let parsed = cache.get(key);
    if (parsed === undefined) {
      parsed = parse(metadata);
      if (!parsed.ok) return parsed;
      if (cache.size >= CONFIG_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(key, parsed);
    }
    last = { entries, parsed };
    return parsed;
  };
}

/** The `http.*` entries of a metadata map, in order: name, value, name, value, ... */
function httpEntries(metadata: Readonly<Record<string, string>>): string[] {
  const entries: string[] = [];
  for (const name in metadata) {
    if (name.startsWith("http.") && Object.hasOwn(metadata, name)) entries.push(name, metadata[name]!);
  }
  return entries;
}

/** Whether `metadata` has exactly `entries` as its `http.*` entries, in that order. */
function sameEntries(metadata: Readonly<Record<string, string>>, entries: readonly string[]): boolean {
  let index = 0;
  for (const name in metadata) {
    if (!name.startsWith("http.") || !Object.hasOwn(metadata, name)) continue;
    if (entries[index] !== name || entries[index + 1] !== metadata[name]) return false;
    index += 2;
  }
  return index === entries.length;
}
