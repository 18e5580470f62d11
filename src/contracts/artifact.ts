import { z } from "zod";
import { RXP_SCHEMA_VERSION } from "./vocabulary.js";

/** RxP v0.1 `ArtifactDescriptor`: a file a run produced. */
export const ArtifactDescriptorSchema = z.strictObject({
  schema_version: z.literal(RXP_SCHEMA_VERSION),
  contract_kind: z.literal("artifact_descriptor"),
  artifact_id: z.string().min(1),
  path: z.string().min(1),
  kind: z.string().min(1),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});

/** A file a run produced, as RxP v0.1 describes it. */
export type ArtifactDescriptor = z.output<typeof ArtifactDescriptorSchema>;

/** Builds an artifact descriptor with the contract fields filled in. */
export function describeArtifact(fields: {
  artifactId: string;
  path: string;
  kind: string;
  description?: string | null;
  metadata?: Record<string, string>;
}): ArtifactDescriptor {
  return {
    schema_version: RXP_SCHEMA_VERSION,
    contract_kind: "artifact_descriptor",
    artifact_id: fields.artifactId,
    path: fields.path,
    kind: fields.kind,
    description: fields.description ?? null,
    metadata: fields.metadata ?? {},
  };
}
