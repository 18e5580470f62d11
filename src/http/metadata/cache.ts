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
  return (metadata) => {
    // Length-prefixed, so no value can make two different maps share a key.
    let key = "";
    for (const name in metadata) {
      if (!name.startsWith("http.") || !Object.hasOwn(metadata, name)) continue;
      const value = metadata[name]!;
      key += `${name.length}:${name}${value.length}:${value}`;
    }
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const parsed = parse(metadata);
    if (!parsed.ok) return parsed;
    if (cache.size >= CONFIG_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, parsed);
    return parsed;
  };
}
