import { issuesFromZod, type ValidationIssue } from "../../contracts/issues.js";
import type { AsyncHttpConfig, HttpRequestConfig } from "./config.js";
import { ASYNC_SHAPE, REQUEST_SHAPE } from "./keys.js";
import { AsyncHttpMetadataSchema, HttpMetadataSchema } from "./schema.js";

/** The outcome of parsing metadata: the config, or every problem found. */
export type MetadataParseResult<T> =
  | { readonly ok: true; readonly config: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Every key `parseHttpMetadata` knows. */
export const HTTP_METADATA_KEYS: readonly string[] = Object.keys(REQUEST_SHAPE);

/** Every key `parseAsyncHttpMetadata` knows. */
export const ASYNC_HTTP_METADATA_KEYS: readonly string[] = Object.keys(ASYNC_SHAPE);

/**
 * Reads HttpRunner's request from an invocation's metadata and reports every
 * problem at once. Unknown `http.*` keys are problems; other keys are ignored.
 */
export function parseHttpMetadata(metadata: Readonly<Record<string, string>>): MetadataParseResult<HttpRequestConfig> {
  const parsed = HttpMetadataSchema.safeParse({ metadata }, { reportInput: true });
  return parsed.success ? { ok: true, config: parsed.data.metadata } : { ok: false, issues: issuesFromZod(parsed.error) };
}

/**
 * Reads AsyncHttpRunner's settings from an invocation's metadata and reports
 * every problem at once. Unknown `http.*` keys are problems; other keys are ignored.
 */
export function parseAsyncHttpMetadata(metadata: Readonly<Record<string, string>>): MetadataParseResult<AsyncHttpConfig> {
  const parsed = AsyncHttpMetadataSchema.safeParse({ metadata }, { reportInput: true });
  return parsed.success ? { ok: true, config: parsed.data.metadata } : { ok: false, issues: issuesFromZod(parsed.error) };
}
