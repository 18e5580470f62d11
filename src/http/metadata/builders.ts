import { z } from "zod";
import type { AsyncHttpMetadataFields, HttpMetadataFields } from "./fields.js";
import { ASYNC_SHAPE, REQUEST_SHAPE } from "./keys.js";

/**
 * Builds HttpRunner's `http.*` metadata from typed fields, encoded by the
 * schema `parseHttpMetadata` reads; fields left out are left to the defaults.
 * @example httpMetadata({ url: "https://api.example.com/hooks", body: { event: "done" } })
 */
export function httpMetadata(fields: HttpMetadataFields): Record<string, string> {
  return encodeFields(REQUEST_SHAPE, fields);
}

/**
 * Builds AsyncHttpRunner's `http.*` metadata from typed fields, encoded by the
 * schema `parseAsyncHttpMetadata` reads; fields left out are left to the defaults.
 * @example
 * asyncHttpMetadata({
 *   url: "https://api.example.com/runs",
 *   pollUrlTemplate: "/runs/{run_id}",
 *   pollRunIdPath: "id",
 *   pollStatusPath: "status",
 *   pollTerminalStates: ["completed", "failed"],
 * })
 */
export function asyncHttpMetadata(fields: AsyncHttpMetadataFields): Record<string, string> {
  return encodeFields(ASYNC_SHAPE, fields);
}

/** `http.poll_terminal_states` -> `pollTerminalStates`: the builder field of a key. */
function fieldName(key: string): string {
  return key.slice("http.".length).replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Encodes builder fields into the string metadata map, through the same codecs that parse it. */
function encodeFields(shape: Readonly<Record<string, z.ZodType<unknown, string | undefined>>>, fields: object): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, codec] of Object.entries(shape)) {
    const value: unknown = (fields as Record<string, unknown>)[fieldName(key)];
    if (value === undefined) continue;
    const text = z.encode(codec, value);
    if (text !== undefined) metadata[key] = text;
  }
  return metadata;
}
