import type { MetadataParseResult } from "./parse.js";

/** How many distinct metadata maps a runner keeps parsed. */
const CONFIG_CACHE_SIZE = 256;

/** How many of the latest distinct settings are compared entry by entry before a key is built. */
const RECENT_SIZE = 8;

/** Settings compared entry by entry before the key is built: the `http.*` entries of a map, and what they parsed to. */
interface Recent<T> {
  readonly entries: readonly string[];
  readonly parsed: MetadataParseResult<T>;
}

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
  // The settings of the last calls, the latest first: a dispatcher sends a few kinds of job, and comparing entries
  // costs less than building and hashing the key (PERFORMANCE.md, "Settings parsed once per configuration").
  const recent: Recent<T>[] = [];
  return (metadata) => {
    const found = findRecent(metadata, recent);
    if (found !== -1) {
      const entry = recent[found]!;
      if (found > 0) {
        recent.splice(found, 1);
        recent.unshift(entry);
      }
      return entry.parsed;
    }
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
    recent.unshift({ entries, parsed });
    if (recent.length > RECENT_SIZE) recent.pop();
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

/**
 * The index of the recent settings whose entries are exactly the `http.*` entries of `metadata`, in order; -1
 * when none are. One pass over the map, each entry compared with every candidate still in the running (a bit of
 * `alive` each), so a miss costs one reading of the map, however many are recent.
 */
function findRecent<T>(metadata: Readonly<Record<string, string>>, recent: readonly Recent<T>[]): number {
  let alive = (1 << recent.length) - 1;
  let index = 0;
  for (const name in metadata) {
    if (!name.startsWith("http.") || !Object.hasOwn(metadata, name)) continue;
    const value = metadata[name];
    for (let candidate = 0; candidate < recent.length; candidate++) {
      const entries = recent[candidate]!.entries;
      if ((alive & (1 << candidate)) !== 0 && (entries[index] !== name || entries[index + 1] !== value)) alive &= ~(1 << candidate);
    }
    if (alive === 0) return -1;
    index += 2;
  }
  for (let candidate = 0; candidate < recent.length; candidate++) {
    if ((alive & (1 << candidate)) !== 0 && recent[candidate]!.entries.length === index) return candidate;
  }
  return -1;
}
