import type { z } from "zod";
import { didYouMean } from "./suggest.js";

/** One validation problem: where it is and what is wrong, in the style of a zod issue. */
export interface ValidationIssue {
  /** Dotted path of the offending field (`metadata["http.url"]`), or "" for the value itself. */
  readonly path: string;
  /** What is wrong, as a phrase that follows the path ("must be a non-empty string"). */
  readonly message: string;
}

/** Formats path segments as `a.b[0]["http.url"]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else {
      const name = String(segment);
      path += /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? (path === "" ? name : `.${name}`) : `[${JSON.stringify(name)}]`;
    }
  }
  return path;
}

/** Describes a value's type for a message: "null", "an array", "the number 1.5". */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return value.length > 40 ? "a string" : `the string ${JSON.stringify(value)}`;
    case "number":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}

/**
 * Turns zod issues into readable `ValidationIssue`s. Unknown keys become one
 * issue each, with a "did you mean" hint drawn from `knownKeys`. Parse with
 * `{ reportInput: true }` so type errors can say what they received.
 */
export function issuesFromZod(error: z.ZodError, knownKeys: readonly string[] = []): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({
          path: formatPath([...issue.path, key]),
          message: `is not a known field${didYouMean(key, knownKeys)}`,
        });
      }
    } else if (issue.code === "invalid_type" && issue.input === undefined && issue.path.length > 0) {
      issues.push({ path: formatPath(issue.path), message: "is required" });
    } else if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
      issues.push({
        path: formatPath(issue.path),
        message: `must be ${article(issue.expected)}, got ${describeValue(issue.input)}`,
      });
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/** Flattens issues into one sentence: `invalid invocation: a is required; b must be ...`. */
export function summarizeIssues(subject: string, issues: readonly ValidationIssue[]): string {
  const parts = issues.map((issue) => (issue.path === "" ? issue.message : `${issue.path} ${issue.message}`));
  return `${subject}: ${parts.join("; ")}`;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
