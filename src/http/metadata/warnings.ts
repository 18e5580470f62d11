import { formatPath, type ValidationIssue } from "../../contracts/issues.js";
import type { AsyncHttpConfig } from "./config.js";
import type { AsyncKey } from "./keys.js";

const CANCEL_METHOD = "http.cancel_method" satisfies AsyncKey;

/**
 * What in valid settings is often not what was meant, each on the key to look at, for `executor-runtime validate`
 * to point out: the invocation runs as it is. A cancel URL sent with the default method, when many REST APIs
 * cancel with DELETE, is one.
 */
export function asyncHttpMetadataWarnings(metadata: Readonly<Record<string, string>>, config: AsyncHttpConfig): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  if (config.cancelUrlTemplate !== undefined && !Object.hasOwn(metadata, CANCEL_METHOD)) {
    warnings.push({
      path: formatPath(["metadata", CANCEL_METHOD]),
      message: `is not set, so the cancel request goes out as ${config.cancelMethod} (the default), but many REST APIs cancel with DELETE: set it, even to ${config.cancelMethod}, to say which method the backend expects`,
    });
  }
  return warnings;
}
