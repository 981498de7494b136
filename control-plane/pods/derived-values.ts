import { fillReferences } from "../secrets/secret-placeholders.js";
import type { PodCredentialsRow } from "../storage/entities/pod-credentials-entity.js";
import { fillCredentialPlaceholders } from "./credential-placeholders.js";
import type { PodFields } from "./pod-model.js";

/** `fields` with credentials and the given secret_map values filled into environment variables, mount contents and the secret_map. */
export function withValuesFilledIn(fields: PodFields, credentials: PodCredentialsRow | null, values: Record<string, string>): PodFields {
  const fill = (value: string) => fillReferences(credentials ? (fillCredentialPlaceholders(value, credentials) ?? value) : value, values);
  const out: PodFields = { ...fields };
  if (fields.environment_variables) out.environment_variables = Object.fromEntries(Object.entries(fields.environment_variables).map(([name, value]) => [name, fill(value)]));
  if (fields.volume_mounts) {
    out.volume_mounts = Object.fromEntries(
      Object.entries(fields.volume_mounts).map(([path, mount]) => [path, mount?.config_content === undefined ? mount : { ...mount, config_content: fillReferences(mount.config_content, values) }]),
    );
  }
  if (fields.secret_map) out.secret_map = { ...fields.secret_map, ...values };
  return out;
}
