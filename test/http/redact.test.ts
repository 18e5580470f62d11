import { describe, expect, it } from "vitest";
import { createRedactor, previewBody, REDACTED } from "../../src/http/redact.js";

describe(createRedactor.name, () => {
  it("removes a header value whole, and each word of it that a backend may echo alone", () => {
    const redact = createRedactor(["Bearer tok-12345"]);
    expect(redact("got Bearer tok-12345 and tok-12345")).toBe(`got ${REDACTED} and ${REDACTED}`);
  });

  it("removes the value of each cookie of a Cookie header, for a backend that echoes parsed cookies", () => {
    const redact = createRedactor(["sid=abc123; theme=dark"]);
    expect(redact('{"cookies":{"sid":"abc123","theme":"dark"}}')).toBe(`{"cookies":{"sid":"${REDACTED}","theme":"${REDACTED}"}}`);
  });

  it("leaves parts shorter than four characters alone, so ordinary words survive", () => {
    const redact = createRedactor(["ab=12; c=3"]);
    expect(redact("ab=12 c=3 x=12 3")).toBe(`${REDACTED} c=3 x=12 3`);
  });

  it("removes URL userinfo and the values of secret-looking query parameters", () => {
    const redact = createRedactor([]);
    expect(redact("http://u:pw@host/x?api_key=k1&page=2&sig=s1")).toBe(`http://${REDACTED}@host/x?api_key=${REDACTED}&page=2&sig=${REDACTED}`);
  });
});

describe(previewBody.name, () => {
  it("cuts a redacted preview to 200 characters on one line", () => {
    const preview = previewBody(`secret-1\n${"x".repeat(500)}`, createRedactor(["secret-1"]));
    expect(preview).toHaveLength(200);
    expect(preview.startsWith(`${REDACTED} xxx`)).toBe(true);
  });
});
