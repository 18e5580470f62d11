import { describe, expect, test } from "vitest";
import { ArtifactDescriptorSchema, describeArtifact } from "../../src/contracts/artifact.js";

describe(describeArtifact.name, () => {
  test("fills the contract fields and defaults", () => {
    expect(describeArtifact({ artifactId: "response", path: "/tmp/a/response.json", kind: "json" })).toEqual({
      schema_version: "0.1",
      contract_kind: "artifact_descriptor",
      artifact_id: "response",
      path: "/tmp/a/response.json",
      kind: "json",
      description: null,
      metadata: {},
    });
  });

  test("keeps a description and metadata when given", () => {
    const artifact = describeArtifact({ artifactId: "log", path: "log.txt", kind: "text", description: "the log", metadata: { lines: "3" } });
    expect(artifact).toMatchObject({ description: "the log", metadata: { lines: "3" } });
  });

  test("builds descriptors that pass its own schema", () => {
    expect(ArtifactDescriptorSchema.safeParse(describeArtifact({ artifactId: "a", path: "p", kind: "k" })).success).toBe(true);
  });
});

describe("ArtifactDescriptorSchema", () => {
  const valid = describeArtifact({ artifactId: "a", path: "p", kind: "k" });

  test("rejects a field RxP does not define", () => {
    expect(ArtifactDescriptorSchema.safeParse({ ...valid, size: 3 }).success).toBe(false);
  });

  test("requires every field, description included", () => {
    const { description, ...withoutDescription } = valid;
    expect(ArtifactDescriptorSchema.safeParse(withoutDescription).success).toBe(false);
  });

  test("rejects an empty artifact id", () => {
    expect(ArtifactDescriptorSchema.safeParse({ ...valid, artifact_id: "" }).success).toBe(false);
  });
});
